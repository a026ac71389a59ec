import { spawn } from 'node:child_process';
import { lstat, mkdir, readdir, rm, rmdir, symlink, unlink, writeFile } from 'node:fs/promises';
import { readSuperviseState } from './supervise-status.js';
import { dirname, join } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { NodeNetwork } from '../node-network.js';
import { PosixFiles } from '../posix-files.js';
import type { Files, Network, Processes, Readiness, ServiceDefinition, ServiceManager, ServiceState } from '../types.js';
import { findRunsv, findRunsvdir } from './proc-scan.js';
import { ensureDirNoFollow, ensureOwnedFile } from '../no-follow.js';
import { SERVICE_PATH, buildRunitFiles, describeRunitFiles, type RunitServiceFiles } from './runit-script.js';
import { assertServiceDefinition, assertServiceName } from './validate.js';
import { fileSize, supervisedProbes, waitForReadiness } from './wait-ready.js';

export interface RunitOptions {
  readonly processes: Processes;
  /** Defaults to PosixFiles over `processes`. */
  readonly files?: Files;
  /** The directory runsvdir supervises (holds one link per service). */
  readonly serviceDir?: string;
  /** Where the service definitions live (run, env/, down); linked into serviceDir. */
  readonly definitionsDir?: string;
  readonly network?: Network;
  /** Bound for each `sv -w` wait, in seconds. */
  readonly svWaitSeconds?: number;
}

export interface SupervisorResult {
  readonly started: boolean;
  readonly pid: number;
  readonly message: string;
  /** The supervised folder did not exist before. */
  readonly createdDir: boolean;
}

const definitionFile = 'spsetup-definition.json';
const supervisorPidFile = '.spsetup-runsvdir.pid';
/** runsvdir rescans its directory at least every 5 s; allow for a slow machine. */
const pickupTimeoutMs = 15_000;

/** ServiceManager on runit: definitions in `definitionsDir/<name>`, linked into the supervised `serviceDir`. */
export class RunitServiceManager implements ServiceManager {
  readonly kind = 'runit' as const;
  readonly serviceDir: string;
  readonly definitionsDir: string;
  private readonly processes: Processes;
  private readonly files: Files;
  private readonly network: Network;
  private readonly svWait: number;
  private readonly startOffsets = new Map<string, number>();

  constructor(options: RunitOptions) {
    this.processes = options.processes;
    this.files = options.files ?? new PosixFiles(options.processes);
    this.serviceDir = options.serviceDir ?? '/etc/service';
    this.definitionsDir = options.definitionsDir ?? '/etc/sv';
    this.network = options.network ?? new NodeNetwork();
    this.svWait = options.svWaitSeconds ?? 10;
  }

  /** The text `installed()` returns once `def` is installed. */
  render(def: ServiceDefinition): string {
    assertServiceDefinition(def);
    return describeRunitFiles(this.build(def));
  }

  /** Writes run, env/ and down, then links the service in. Linking never starts it: start() does. */
  async install(def: ServiceDefinition): Promise<void> {
    assertServiceDefinition(def);
    for (const [key, value] of Object.entries(def.env ?? {})) {
      if (/[ \t]$/.test(value)) {
        throw new UserError('invalid-input', `The environment variable ${key} of service ${def.name} ends with a space or tab, which runit drops.`, 'Remove the trailing whitespace.');
      }
    }
    const defDir = this.definitionDir(def.name);
    const files = this.build(def);
    await this.files.ensureDir(defDir, { mode: 0o755 });
    await this.prepareLog(def);
    await this.writeEnv(defDir, files.env);
    await this.writeIfChanged(join(defDir, definitionFile), `${JSON.stringify(def, null, 2)}\n`, 0o644);
    await this.writeIfChanged(join(defDir, 'run'), files.run, 0o755);
    await this.writeControl(defDir, files.controlTerm);
    await this.files.ensureDir(this.serviceDir, { mode: 0o755 });
    const link = this.linkPath(def.name);
    if (await exists(link)) {
      await this.setDownFile(defDir, files.down);
      return;
    }
    // runsv reads `down` only when it starts: with it present while linking, the service stays down
    // when runsvdir picks it up (within 5 s). Not waiting for that pickup here saves up to 5 s per
    // service; status() and start() wait for it, and start() clears `down` for an autoStart service.
    await this.setDownFile(defDir, true);
    await symlink(defDir, link);
  }

  /** Rewrites the service to run as `account` (the password is not used on POSIX). */
  async setAccount(name: string, account: string): Promise<void> {
    const def = await this.readDefinition(name);
    await this.install({ ...def, account });
  }

  /** `sv -w N up`, after waiting for runsv to pick the service up. */
  async start(name: string): Promise<void> {
    const def = await this.readDefinition(name);
    await this.waitSupervised(name);
    // Supervised now, so clearing `down` only decides the next boot: an autoStart service comes up then.
    await this.setDownFile(this.definitionDir(name), def.autoStart === false);
    this.startOffsets.set(name, await fileSize(this.logFileOf(def)));
    const res = await this.sv(['up', this.linkPath(name)]);
    if (res.code !== 0) {
      throw new UserError('service', `Service ${name} did not start within ${this.svWait} s: ${res.stdout.trim() || res.stderr.trim()}`, `Read the service log (${this.logFileOf(def)}).`);
    }
  }

  /** `sv -w N force-stop`: down, killed when it does not stop in time. Nothing to do when not installed. */
  async stop(name: string): Promise<void> {
    assertServiceName(name);
    if (!(await exists(this.linkPath(name)))) return;
    const res = await this.sv(['force-stop', this.linkPath(name)]);
    if (res.code !== 0 && !/runsv not running|unable to open supervise/.test(res.stdout + res.stderr)) {
      throw new UserError('service', `Service ${name} did not stop: ${res.stdout.trim() || res.stderr.trim()}`, 'Stop its process by hand and try again.');
    }
  }

  /** Maps `sv status` to a ServiceState ('missing' when not linked, 'unknown' when unsupervised). */
  async status(name: string): Promise<ServiceState> {
    assertServiceName(name);
    if (!(await exists(this.linkPath(name)))) return 'missing';
    const svStatus = async () => parseSvStatus((await this.processes.run('sv', ['status', this.linkPath(name)], { allowFailure: true, timeoutMs: 15_000 })).stdout);
    // Read where sv reads it (readiness polls this every 100 ms: one process per poll otherwise).
    const state = (await readSuperviseState(this.linkPath(name))) ?? (await svStatus());
    // Linked but not yet picked up by a running supervisor: its state is known within seconds.
    if (state !== 'unknown' || (await findRunsvdir(this.serviceDir)) === undefined) return state;
    await this.waitSupervised(name);
    return svStatus();
  }

  /** Waits for the readiness line (written after the last start()) or port, bounded by readiness.timeoutMs. */
  async waitReady(name: string, readiness: Readiness, logFile?: string): Promise<void> {
    const def = await this.readDefinition(name);
    const log = logFile ?? this.logFileOf(def);
    await waitForReadiness({
      name,
      readiness,
      logFile: log,
      fromOffset: this.startOffsets.get(name) ?? (await fileSize(log)),
      ...supervisedProbes(name, this.network, () => this.status(name)),
    });
  }

  /** Stops the service, unlinks it, waits until its runsv is gone, then deletes the definition. */
  async remove(name: string): Promise<void> {
    assertServiceName(name);
    const defDir = this.definitionDir(name);
    const link = this.linkPath(name);
    if (await exists(link)) await unlink(link);
    if (!(await exists(defDir))) return;
    if ((await findRunsv(defDir)).length > 0) {
      await this.sv(['force-stop', defDir]);
      await this.processes.run('sv', ['exit', defDir], { allowFailure: true, timeoutMs: 15_000 });
      const deadline = Date.now() + pickupTimeoutMs;
      while ((await findRunsv(defDir)).length > 0) {
        if (Date.now() > deadline) {
          throw new UserError('service', `The runit supervisor of ${name} did not exit.`, `Stop the runsv process for ${defDir} and try again.`);
        }
        await sleep(100);
      }
    }
    await rm(defDir, { recursive: true, force: true });
    this.startOffsets.delete(name);
  }

  /** The installed state as one text (see render()), undefined when not installed. */
  async installed(name: string): Promise<string | undefined> {
    assertServiceName(name);
    const defDir = this.definitionDir(name);
    const run = await this.files.readText(join(defDir, 'run'));
    if (run === undefined) return undefined;
    const env: Record<string, string> = {};
    for (const key of await listDir(join(defDir, 'env'))) {
      env[key] = ((await this.files.readText(join(defDir, 'env', key))) ?? '').split('\n')[0] ?? '';
    }
    // Autostart is the registered intent: until start(), `down` is also present for an autoStart service.
    const stored = await this.files.readText(join(defDir, definitionFile));
    const down = stored === undefined ? await exists(join(defDir, 'down')) : (JSON.parse(stored) as ServiceDefinition).autoStart === false;
    const controlTerm = await this.files.readText(join(defDir, 'control', 't'));
    return describeRunitFiles({ run, env, down, ...(controlTerm !== undefined ? { controlTerm } : {}) });
  }

  /** Starts `runsvdir -P dir` (detached, pid recorded in dir) unless one already supervises dir. */
  async ensureSupervisor(dir: string = this.serviceDir): Promise<SupervisorResult> {
    const running = await findRunsvdir(dir);
    if (running !== undefined) return { started: false, pid: running, createdDir: false, message: `runsvdir already supervises ${dir} (pid ${running}).` };
    const createdDir = !(await exists(dir));
    await mkdir(dir, { recursive: true, mode: 0o755 });
    // Its own minimal environment: runsv and every service inherit it, so the installer's (with
    // any secret passed in the environment) must not be it.
    const env = { PATH: SERVICE_PATH, LANG: 'C.UTF-8' };
    const child = spawn('runsvdir', ['-P', dir, `log: ${'.'.repeat(200)}`], { detached: true, stdio: 'ignore', shell: false, env });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' ? new UserError('not-found', 'runsvdir is not installed.', 'Install runit (apt-get install runit).') : err),
      );
      child.once('spawn', () => resolve(child.pid ?? 0));
    });
    child.unref();
    await writeFile(join(dir, supervisorPidFile), `${pid}\n`, { mode: 0o644 });
    return { started: true, pid, createdDir, message: `No runit supervisor was watching ${dir}; started runsvdir (pid ${pid}). It does not survive a reboot: add it to the system's init.` };
  }

  /** Stops the runsvdir that ensureSupervisor started (pid), unless it still supervises services. */
  async stopSupervisor(pid: number, options: { removeDir: boolean }): Promise<{ kept?: string }> {
    const dir = this.serviceDir;
    const running = await findRunsvdir(dir);
    if (running === pid) {
      const left = (await readdir(dir).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
      if (left.length) return { kept: `runsvdir (pid ${pid}) still supervises ${left.join(', ')} in ${dir}` };
      // HUP: runsvdir stops every runsv it started, then exits.
      process.kill(pid, 'SIGHUP');
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await findRunsvdir(dir)) === pid) await new Promise((r) => setTimeout(r, 100));
      if ((await findRunsvdir(dir)) === pid) process.kill(pid, 'SIGKILL');
    }
    await rm(join(dir, supervisorPidFile), { force: true });
    if (options.removeDir) await rmdir(dir).catch(() => undefined); // only while empty
    return {};
  }

  /**
   * The console log's folder, and for a service with an account the log itself owned by it (the
   * account opens it after dropping privileges, and may lack the right to create it there).
   * Nothing on the way is followed when it is a link: the folder is often the account's.
   */
  private async prepareLog(def: ServiceDefinition): Promise<void> {
    const logFile = this.logFileOf(def);
    if (!def.account) {
      await (await ensureDirNoFollow(dirname(logFile))).close();
      return;
    }
    const owner = await this.processes.lookupUser(def.account);
    if (!owner) throw new UserError('not-found', `The account ${def.account} of service ${def.name} does not exist.`, 'Create the account first (the install plan does), then install the service.');
    await ensureOwnedFile(logFile, owner, 0o640);
  }

  private build(def: ServiceDefinition): RunitServiceFiles {
    return buildRunitFiles(def, { definitionDir: this.definitionDir(def.name), serviceDir: this.serviceDir, logFile: this.logFileOf(def) });
  }

  private definitionDir(name: string): string {
    return join(this.definitionsDir, name);
  }

  private linkPath(name: string): string {
    return join(this.serviceDir, name);
  }

  private logFileOf(def: ServiceDefinition): string {
    return def.logFile ?? join(this.definitionDir(def.name), 'service.log');
  }

  private async readDefinition(name: string): Promise<ServiceDefinition> {
    assertServiceName(name);
    const text = await this.files.readText(join(this.definitionDir(name), definitionFile));
    if (text === undefined) throw new UserError('not-found', `Service ${name} is not installed.`, 'Install the service first.');
    return JSON.parse(text) as ServiceDefinition;
  }

  private sv(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.processes.run('sv', ['-w', String(this.svWait), ...args], { allowFailure: true, timeoutMs: (this.svWait + 10) * 1000 });
  }

  /** Waits until runsv has opened the service's control pipe. */
  private async waitSupervised(name: string): Promise<void> {
    const deadline = Date.now() + pickupTimeoutMs;
    for (;;) {
      const res = await this.processes.run('sv', ['status', this.linkPath(name)], { allowFailure: true, timeoutMs: 15_000 });
      if (res.code === 0 && parseSvStatus(res.stdout) !== 'unknown') return;
      if (Date.now() > deadline) {
        throw new UserError('service', `No runit supervisor picked up ${name} in ${this.serviceDir}.`, `Start one with \`runsvdir -P ${this.serviceDir}\` (spsetup starts it when it installs services).`);
      }
      await sleep(200);
    }
  }

  private async writeEnv(defDir: string, env: Readonly<Record<string, string>>): Promise<void> {
    const envDir = join(defDir, 'env');
    const keys = Object.keys(env);
    if (keys.length === 0) {
      await rm(envDir, { recursive: true, force: true });
      return;
    }
    await this.files.ensureDir(envDir, { mode: 0o755 });
    for (const stale of await listDir(envDir)) if (!(stale in env)) await rm(join(envDir, stale), { force: true });
    // A trailing newline so an empty value sets an empty variable instead of unsetting it.
    for (const key of keys) await this.writeIfChanged(join(envDir, key), `${env[key] ?? ''}\n`, 0o644);
  }

  private async writeControl(defDir: string, controlTerm: string | undefined): Promise<void> {
    const dir = join(defDir, 'control');
    if (controlTerm === undefined) {
      await rm(join(dir, 't'), { force: true });
      return;
    }
    await this.files.ensureDir(dir, { mode: 0o755 });
    await this.writeIfChanged(join(dir, 't'), controlTerm, 0o755);
  }

  private async writeIfChanged(path: string, content: string, mode: number): Promise<void> {
    if ((await this.files.readText(path)) === content) return;
    await this.files.writeAtomic(path, content, { mode });
  }

  private async setDownFile(defDir: string, down: boolean): Promise<void> {
    const path = join(defDir, 'down');
    if (down) {
      if (!(await exists(path))) await writeFile(path, '', { mode: 0o644 });
    } else {
      await rm(path, { force: true });
    }
  }
}

/** Maps the first word of `sv status` output to a ServiceState. */
export function parseSvStatus(output: string): ServiceState {
  const line = output.trim().split('\n')[0] ?? '';
  if (line.startsWith('run:')) return 'running';
  if (line.startsWith('down:')) return /want up/.test(line) ? 'starting' : 'stopped';
  if (line.startsWith('finish:')) return 'starting';
  return 'unknown';
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).filter((n) => !n.startsWith('.')).sort();
  } catch {
    return [];
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

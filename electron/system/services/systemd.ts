import { join } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { NodeNetwork } from '../node-network.js';
import { ensureOwnedFile } from '../no-follow.js';
import { PosixFiles } from '../posix-files.js';
import type { Files, Network, Processes, Readiness, ServiceDefinition, ServiceManager, ServiceState } from '../types.js';
import { renderUnit, setUnitUser, unitLogFile } from './systemd-unit.js';
import { assertServiceDefinition, assertServiceName } from './validate.js';
import { fileSize, supervisedProbes, waitForReadiness } from './wait-ready.js';

export interface SystemdOptions {
  readonly processes: Processes;
  /** Defaults to PosixFiles over `processes`. */
  readonly files?: Files;
  /** Where unit files go (default /etc/systemd/system). */
  readonly unitDir?: string;
  readonly network?: Network;
  /** Bound for each systemctl call. */
  readonly timeoutMs?: number;
}

/** ServiceManager on systemd: unit files plus systemctl through the injected Processes. */
export class SystemdServiceManager implements ServiceManager {
  readonly kind = 'systemd' as const;
  readonly unitDir: string;
  private readonly processes: Processes;
  private readonly files: Files;
  private readonly network: Network;
  private readonly timeoutMs: number;
  private readonly startOffsets = new Map<string, number>();

  constructor(options: SystemdOptions) {
    this.processes = options.processes;
    this.files = options.files ?? new PosixFiles(options.processes);
    this.unitDir = options.unitDir ?? '/etc/systemd/system';
    this.network = options.network ?? new NodeNetwork();
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  /** The unit text `installed()` returns once `def` is installed. */
  render(def: ServiceDefinition): string {
    assertServiceDefinition(def);
    return renderUnit(def);
  }

  /** Writes the unit when it changed, reloads systemd, and enables or disables it per autoStart. */
  async install(def: ServiceDefinition): Promise<void> {
    const text = this.render(def);
    await this.prepareLog(def);
    await this.writeUnit(def.name, text);
    await this.systemctl([def.autoStart === false ? 'disable' : 'enable', unitName(def.name)]);
  }

  /**
   * A service with an account opens its log as the account (renderUnit), which may lack the right
   * to create it: the log is made beforehand, owned by the account, refusing a link on the way.
   * An account that does not exist yet is left to the service's own first start.
   */
  private async prepareLog(def: ServiceDefinition): Promise<void> {
    if (def.account === undefined || def.logFile === undefined) return;
    const owner = await this.processes.lookupUser(def.account);
    if (owner) await ensureOwnedFile(def.logFile, owner, 0o640);
  }

  /** Rewrites User= (the password is not used on POSIX). */
  async setAccount(name: string, account: string): Promise<void> {
    const text = await this.requireUnit(name);
    if (account === '' || /[\s:]/.test(account)) {
      throw new UserError('invalid-input', `Invalid account name ${JSON.stringify(account)}.`, 'Give an existing account name without spaces or colons.');
    }
    await this.writeUnit(name, setUnitUser(text, account));
  }

  /** `systemctl start`, remembering the log size so waitReady only reads new lines. */
  async start(name: string): Promise<void> {
    const text = await this.requireUnit(name);
    this.startOffsets.set(name, await fileSize(unitLogFile(text)));
    await this.systemctl(['start', unitName(name)]);
  }

  /** `systemctl stop`; nothing to do when not installed. */
  async stop(name: string): Promise<void> {
    assertServiceName(name);
    if ((await this.installed(name)) === undefined) return;
    await this.systemctl(['stop', unitName(name)]);
  }

  /** `systemctl is-active` mapped to a ServiceState ('missing' without a unit file). */
  async status(name: string): Promise<ServiceState> {
    assertServiceName(name);
    if ((await this.installed(name)) === undefined) return 'missing';
    const res = await this.processes.run('systemctl', ['is-active', unitName(name)], { allowFailure: true, timeoutMs: this.timeoutMs });
    return parseIsActive(res.stdout);
  }

  /** Waits for the readiness line (after the last start()) or port, bounded by readiness.timeoutMs. */
  async waitReady(name: string, readiness: Readiness, logFile?: string): Promise<void> {
    const text = await this.requireUnit(name);
    const log = logFile ?? unitLogFile(text);
    await waitForReadiness({
      name,
      readiness,
      ...(log ? { logFile: log } : {}),
      fromOffset: this.startOffsets.get(name) ?? (await fileSize(log)),
      ...supervisedProbes(name, this.network, () => this.status(name)),
    });
  }

  /** Stops and disables the unit, deletes its file and reloads systemd. */
  async remove(name: string): Promise<void> {
    assertServiceName(name);
    if ((await this.installed(name)) === undefined) return;
    await this.systemctl(['stop', unitName(name)], true);
    await this.systemctl(['disable', unitName(name)], true);
    await this.files.remove(this.unitPath(name));
    await this.systemctl(['daemon-reload']);
    await this.systemctl(['reset-failed', unitName(name)], true);
    this.startOffsets.delete(name);
  }

  /** The installed unit file text, undefined when there is none. */
  async installed(name: string): Promise<string | undefined> {
    assertServiceName(name);
    return this.files.readText(this.unitPath(name));
  }

  private unitPath(name: string): string {
    return join(this.unitDir, unitName(name));
  }

  private async requireUnit(name: string): Promise<string> {
    const text = await this.installed(name);
    if (text === undefined) throw new UserError('not-found', `Service ${name} is not installed.`, 'Install the service first.');
    return text;
  }

  private async writeUnit(name: string, text: string): Promise<void> {
    if ((await this.installed(name)) === text) return;
    await this.files.ensureDir(this.unitDir);
    await this.files.writeAtomic(this.unitPath(name), text, { mode: 0o644 });
    await this.systemctl(['daemon-reload']);
  }

  private async systemctl(args: readonly string[], allowFailure = false): Promise<void> {
    await this.processes.run('systemctl', args, { timeoutMs: this.timeoutMs, allowFailure });
  }
}

function unitName(name: string): string {
  return `${name}.service`;
}

/** Maps `systemctl is-active` output to a ServiceState. */
export function parseIsActive(output: string): ServiceState {
  switch (output.trim()) {
    case 'active':
    case 'reloading':
      return 'running';
    case 'activating':
      return 'starting';
    case 'inactive':
    case 'failed':
      return 'stopped';
    default:
      return 'unknown';
  }
}

/**
 * ServiceManager for Windows: the Service Control Manager through sc.exe (argument arrays), and
 * PowerShell where sc.exe would need a secret on its command line (the service password).
 */
import { UserError } from '../../shared/errors.js';
import type { ExecResult, Readiness, ServiceDefinition, ServiceManager, ServiceState } from '../types.js';
import { NodeNetwork } from '../node-network.js';
import { fileLogReader, textLogReader, waitForReadiness, type LogReader } from '../services/wait-ready.js';
import type { CommandRunner } from './command-runner.js';
import { buildWindowsCommandLine } from './command-line.js';
import { ensureLogonAsService, isBuiltinServiceAccount } from './logon-right.js';
import { assertAccountName, assertPrintable, assertServiceName, assertSingleLineSecret } from './names.js';
import { quotePs, quotePsArray, runPowerShell } from './powershell.js';
import { parseScQc, parseScQuery, scError, type ScConfig, type ScQuery } from './sc-output.js';

export const scExe = 'sc.exe';

/** Restart on failure: three restarts a minute apart, the count reset after a day without failure. */
export interface RecoveryPolicy {
  readonly resetSeconds: number;
  readonly restartDelaysMs: readonly number[];
}

export const defaultRecovery: RecoveryPolicy = { resetSeconds: 86_400, restartDelaysMs: [60_000, 60_000, 60_000] };

export interface WindowsServiceOptions {
  /** Bound on start, stop and remove (each). */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  readonly recovery?: RecoveryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly readText?: (path: string) => Promise<string | undefined>;
  readonly canConnect?: (port: number, timeoutMs: number) => Promise<boolean>;
}

const scCallTimeoutMs = 30_000;

/** sc.exe arguments for `failure` (restart actions) of a service. */
export function buildFailureArgs(name: string, policy: RecoveryPolicy): readonly string[] {
  const actions = policy.restartDelaysMs.map((ms) => `restart/${ms}`).join('/');
  return ['failure', name, 'reset=', String(policy.resetSeconds), 'actions=', actions];
}

/** sc.exe arguments to create the service (or to reconfigure it with `verb` = 'config'). */
export function buildScArgs(verb: 'create' | 'config', def: ServiceDefinition): readonly string[] {
  const args = [verb, def.name, 'binPath=', buildWindowsCommandLine(def.command, def.args), 'DisplayName=', def.displayName];
  args.push('start=', def.autoStart === false ? 'demand' : 'auto');
  const deps = def.dependsOn ?? [];
  // `depend= /` clears the list; a new service simply has none.
  if (deps.length > 0 || verb === 'config') args.push('depend=', deps.length > 0 ? deps.join('/') : '/');
  // Only password-less accounts here; others are set by setAccount with the password on stdin.
  if (def.account && isBuiltinServiceAccount(def.account)) args.push('obj=', def.account);
  return args;
}

/** The PowerShell lines that set (or clear) the service's environment block in the registry. */
export function buildEnvironmentScript(name: string, env: Readonly<Record<string, string>>): readonly string[] {
  const key = quotePs(`HKLM:\\SYSTEM\\CurrentControlSet\\Services\\${name}`);
  const entries = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  if (entries.length === 0) return [`Remove-ItemProperty -LiteralPath ${key} -Name 'Environment' -ErrorAction SilentlyContinue`];
  return [`New-ItemProperty -LiteralPath ${key} -Name 'Environment' -PropertyType MultiString -Value ${quotePsArray(entries)} -Force | Out-Null`];
}

/** The script that sets the logon account through Win32_Service.Change, the password read from stdin. */
export function buildSetAccountScript(name: string, account: string, withPassword: boolean): readonly string[] {
  return [
    ...(withPassword
      ? [
          '$spsetupStdin = [System.IO.StreamReader]::new([Console]::OpenStandardInput(), [System.Text.UTF8Encoding]::new($false))',
          '$password = $spsetupStdin.ReadLine()',
        ]
      : ["$password = ''"]),
    `$name = ${quotePs(name)}`,
    "$svc = Get-CimInstance -ClassName Win32_Service -Filter (\"Name='\" + $name + \"'\")",
    "if ($null -eq $svc) { [Console]::Error.WriteLine('The service does not exist.'); exit 3 }",
    `$result = Invoke-CimMethod -InputObject $svc -MethodName Change -Arguments @{ StartName = ${quotePs(account)}; StartPassword = $password }`,
    "if ($result.ReturnValue -ne 0) { [Console]::Error.WriteLine('Win32_Service.Change returned ' + $result.ReturnValue); exit 4 }",
    "Write-Output 'changed'",
  ];
}

/** Win32_Service.Change return values worth a sentence. */
const changeErrors: Readonly<Record<number, string>> = {
  2: 'access was denied (run spsetup elevated)',
  15: 'the service logon failed',
  21: 'a parameter was rejected',
  22: 'the account does not exist or lacks the permissions',
};

/**
 * The canonical text of a definition, as installed() reports it once installed. The account is
 * left out: install() leaves password accounts to setAccount, and SCM rewrites names (.\user).
 */
export function describeServiceDefinition(def: ServiceDefinition): string {
  return describeConfig({
    binaryPath: buildWindowsCommandLine(def.command, def.args),
    displayName: def.displayName,
    startType: def.autoStart === false ? 'demand' : 'auto',
    dependencies: def.dependsOn ?? [],
    account: '',
  });
}

function describeConfig(c: ScConfig): string {
  return [
    `binPath: ${c.binaryPath}`,
    `displayName: ${c.displayName}`,
    `start: ${c.startType}`,
    `dependsOn: ${c.dependencies.join(', ')}`,
  ].join('\n');
}

function validateDefinition(def: ServiceDefinition): void {
  assertServiceName(def.name);
  for (const dep of def.dependsOn ?? []) assertServiceName(dep);
  assertPrintable(def.displayName, 'display name');
  if (def.description !== undefined) assertPrintable(def.description, 'description');
  assertPrintable(def.command, 'service program path');
  if (def.account) assertAccountName(def.account);
  for (const [k, v] of Object.entries(def.env ?? {})) {
    if (k === '' || k.includes('=') || /[\u0000-\u001f]/.test(k) || v.includes('\u0000')) {
      throw new UserError('invalid-input', `The environment variable "${k}" of ${def.name} is not valid.`, 'Use NAME=value pairs without "=" in the name.');
    }
  }
}

/** The Windows Service Control Manager behind the ServiceManager interface. */
export class WindowsServiceManager implements ServiceManager {
  readonly kind = 'windows' as const;
  private readonly logFiles = new Map<string, string>();
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly recovery: RecoveryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly log: LogReader;
  /** The log's size when each service was last started, so only what that start wrote counts. */
  private readonly startOffsets = new Map<string, { readonly file: string; readonly offset: number }>();
  private readonly canConnect: (port: number, timeoutMs: number) => Promise<boolean>;

  constructor(
    private readonly runner: CommandRunner,
    options: WindowsServiceOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.pollMs = options.pollMs ?? 500;
    this.recovery = options.recovery ?? defaultRecovery;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = options.now ?? Date.now;
    this.log = options.readText ? textLogReader(options.readText) : fileLogReader;
    this.canConnect = options.canConnect ?? ((port, timeoutMs) => new NodeNetwork().canConnect('127.0.0.1', port, timeoutMs));
  }

  /** Creates the service, or reconfigures it when it exists; then description, environment and restart-on-failure. */
  async install(def: ServiceDefinition): Promise<void> {
    validateDefinition(def);
    const exists = (await this.query(def.name)).state !== 'missing';
    await this.sc(buildScArgs(exists ? 'config' : 'create', def));
    if (def.description !== undefined || exists) await this.sc(['description', def.name, def.description ?? '']);
    if (def.env !== undefined || exists) await this.ps(buildEnvironmentScript(def.name, def.env ?? {}), def.name, 'set the environment of');
    await this.setRecovery(def.name, this.recovery);
    if (def.logFile) this.logFiles.set(def.name, def.logFile);
  }

  /**
   * Restart actions, and `failureflag 1` so they also fire when the service stops itself with an
   * error (the repository stopping while the database is unreachable), not only on a crash.
   */
  async setRecovery(name: string, policy: RecoveryPolicy): Promise<void> {
    assertServiceName(name);
    await this.sc(buildFailureArgs(name, policy));
    await this.sc(['failureflag', name, '1']);
  }

  /** Sets the logon account; the password reaches PowerShell on stdin only. Grants "Log on as a service" first. */
  async setAccount(name: string, account: string, password?: string): Promise<void> {
    assertServiceName(name);
    assertAccountName(account);
    if (password !== undefined) assertSingleLineSecret(password, 'service account password');
    await ensureLogonAsService(this.runner, account);
    const withPassword = password !== undefined && password !== '';
    const res = await runPowerShell(this.runner, buildSetAccountScript(name, account, withPassword), {
      input: withPassword ? `${password}\n` : '',
      secrets: withPassword ? [password] : [],
      allowFailure: true,
    });
    if (res.code === 3) throw missing(name);
    if (res.code !== 0) {
      const code = Number(/returned (\d+)/.exec(res.stderr)?.[1]);
      const why = changeErrors[code] ?? (res.stderr.trim() || `exit code ${res.code}`);
      throw new UserError('service', `Could not set the account of ${name} to ${account}: ${why}.`, 'Check the account name and its password, then try again.');
    }
  }

  /** Starts the service (already running is fine) and waits until it runs, or fails when it stops. */
  async start(name: string): Promise<void> {
    assertServiceName(name);
    const log = this.logFiles.get(name);
    if (log) this.startOffsets.set(name, { file: log, offset: await this.log.size(log) });
    const res = await this.sc(['start', name], [scError.alreadyRunning, scError.serviceDoesNotExist]);
    if (res.code === scError.serviceDoesNotExist) throw missing(name);
    await this.waitFor(name, 'running');
  }

  /** Stops the service (stopped or missing is fine) and waits until it has stopped. */
  async stop(name: string): Promise<void> {
    assertServiceName(name);
    const res = await this.sc(['stop', name], [scError.notActive, scError.serviceDoesNotExist]);
    if (res.code === scError.serviceDoesNotExist) return;
    await this.waitFor(name, 'stopped');
  }

  async status(name: string): Promise<ServiceState> {
    assertServiceName(name);
    return (await this.query(name)).state;
  }

  /** Waits for readiness (wait-ready.ts) after the last start(); fails early when the service stops. */
  async waitReady(name: string, readiness: Readiness, logFile?: string): Promise<void> {
    assertServiceName(name);
    const file = logFile ?? this.logFiles.get(name);
    const started = this.startOffsets.get(name);
    await waitForReadiness({
      name,
      readiness,
      ...(file ? { logFile: file } : {}),
      fromOffset: started && started.file === file ? started.offset : file ? await this.log.size(file) : 0,
      log: this.log,
      canConnect: (port) => this.canConnect(port, Math.min(2_000, readiness.timeoutMs)),
      probe: async () => {
        const q = await this.query(name);
        if (q.state === 'missing') return { state: q.state, failure: missing(name) };
        return q.state === 'stopped' ? { state: q.state, failure: stoppedError(name, q, file) } : { state: q.state };
      },
      pollMs: this.pollMs,
      now: this.now,
      sleep: this.sleep,
      timeout: { code: 'timeout', fixWithoutLog: 'Check the service in services.msc and the event log.' },
    });
  }

  /** Stops and deletes the service; a missing one is fine. */
  async remove(name: string): Promise<void> {
    assertServiceName(name);
    const state = await this.status(name);
    if (state === 'missing') return;
    if (state !== 'stopped') await this.stop(name);
    await this.sc(['delete', name], [scError.serviceDoesNotExist, scError.markedForDelete]);
    this.logFiles.delete(name);
  }

  /** The text installed() returns once `def` is installed. */
  render(def: ServiceDefinition): string {
    return describeServiceDefinition(def);
  }

  async installed(name: string): Promise<string | undefined> {
    assertServiceName(name);
    const res = await this.sc(['qc', name, '8192'], [scError.serviceDoesNotExist]);
    if (res.code === scError.serviceDoesNotExist) return undefined;
    return describeConfig(parseScQc(res.stdout));
  }

  private async waitFor(name: string, want: 'running' | 'stopped'): Promise<void> {
    const deadline = this.now() + this.timeoutMs;
    for (;;) {
      const q = await this.query(name);
      if (q.state === want) return;
      if (q.state === 'missing') throw missing(name);
      if (want === 'running' && q.state === 'stopped') throw stoppedError(name, q, this.logFiles.get(name));
      if (this.now() >= deadline) {
        throw new UserError(
          'timeout',
          `${name} did not become ${want} within ${Math.round(this.timeoutMs / 1000)} s (it is ${q.state}).`,
          'Check the service in services.msc and the Windows event log (System, Service Control Manager).',
        );
      }
      await this.sleep(this.pollMs);
    }
  }

  private async query(name: string): Promise<ScQuery> {
    const res = await this.sc(['query', name], [scError.serviceDoesNotExist]);
    if (res.code === scError.serviceDoesNotExist) return { state: 'missing', stateCode: 0 };
    return parseScQuery(res.stdout);
  }

  /** Runs sc.exe; exit codes in `accepted` are returned, any other failure becomes a UserError. */
  private async sc(args: readonly string[], accepted: readonly number[] = []): Promise<ExecResult> {
    const res = await this.runner.run(scExe, args, { allowFailure: true, timeoutMs: scCallTimeoutMs });
    if (res.code === 0 || accepted.includes(res.code)) return res;
    // sc.exe prints its errors on stdout.
    const detail = (res.stdout.trim() || res.stderr.trim()).split(/\r?\n/).filter((l) => l.trim() !== '').join(' ');
    throw new UserError(
      'service',
      `sc.exe ${args[0] ?? ''} ${args[1] ?? ''} failed with error ${res.code}${detail ? `: ${detail}` : ''}`,
      'Run spsetup elevated and check the service name; the message above comes from the Service Control Manager.',
    );
  }

  private async ps(lines: readonly string[], name: string, what: string): Promise<void> {
    const res = await runPowerShell(this.runner, lines, { allowFailure: true });
    if (res.code !== 0) throw new UserError('service', `Could not ${what} ${name}: ${res.stderr.trim()}`, 'Run spsetup elevated.');
  }
}

function missing(name: string): UserError {
  return new UserError('not-found', `The service ${name} is not installed.`, 'Install it first (run the plan again).');
}

function stoppedError(name: string, q: ScQuery, logFile: string | undefined): UserError {
  const code = q.serviceExitCode && q.serviceExitCode !== 0 ? q.serviceExitCode : q.win32ExitCode;
  return new UserError(
    'service',
    `${name} stopped while starting${code ? ` (exit code ${code})` : ''}.`,
    logFile ? `Read ${logFile} for the reason.` : 'Read the Windows event log (System, Service Control Manager) for the reason.',
  );
}

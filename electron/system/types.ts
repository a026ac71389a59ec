/**
 * The interfaces of every side effect the installer has. Implementations live beside this file
 * (POSIX, runit, systemd, Windows); the engine and features see only these types, built once at
 * the composition root into a `System` object.
 */

/** Who may do what to a path: POSIX mode/owner, or Windows ACL grants. */
export interface Access {
  /** POSIX permission bits, e.g. 0o750. Ignored on Windows. */
  readonly mode?: number | undefined;
  /** Owner account name (POSIX user, or Windows account). */
  readonly owner?: string | undefined;
  /** Group name (POSIX). */
  readonly group?: string | undefined;
  /** Windows ACL grants, e.g. { principal: 'Qlik Sense Service Users', rights: 'modify', inherit: true }. */
  readonly grants?: readonly AccessGrant[] | undefined;
}

export interface AccessGrant {
  readonly principal: string;
  readonly rights: 'read' | 'modify' | 'full';
  readonly inherit: boolean;
}

export interface FileStat {
  readonly kind: 'file' | 'dir' | 'other';
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeMs: number;
}

export interface Files {
  /** Returns undefined when the path does not exist. */
  stat(path: string): Promise<FileStat | undefined>;
  readText(path: string): Promise<string | undefined>;
  /** Writes through a temp file and rename; applies access when given. */
  writeAtomic(path: string, content: string | Uint8Array, access?: Access): Promise<void>;
  /** Copies the file to a timestamped backup beside the state dir and returns its path. */
  backup(path: string, backupDir: string): Promise<string | undefined>;
  ensureDir(path: string, access?: Access): Promise<void>;
  setAccess(path: string, access: Access, recursive?: boolean): Promise<void>;
  /** The part of `access` this platform gives a path a plan manages (POSIX: mode, owner and group; Windows: the grants). */
  managedAccess(access: Access): Access;
  /** Whether `path` already has `access` as this platform compares it (POSIX: mode and owner; Windows: the ACL holds every grant). */
  accessSatisfies(path: string, access: Access): Promise<boolean>;
  /** The access `path` has now, in words for a plan (POSIX: owner, group and mode; Windows: the ACL's entries). */
  describeAccess(path: string): Promise<string>;
  /** Whether `account` can create and delete a file in `dir` (tested for real). */
  canWrite(dir: string, account?: string): Promise<boolean>;
  remove(path: string): Promise<void>;
  /** Removes a folder only when it is empty (or already gone); false when it holds something. */
  removeEmptyDir(path: string): Promise<boolean>;
  freeBytes(path: string): Promise<number>;
  /** Free bytes and inodes (undefined where the file system has no inode count) of the file system holding `path`, and which file system that is. */
  space(path: string): Promise<FileSystemSpace>;
}

export interface FileSystemSpace {
  readonly freeBytes: number;
  readonly freeInodes?: number;
  /** Identifies the file system (POSIX: st_dev; Windows: the volume root), so needs on one file system add up. */
  readonly device: string;
}

export interface ExecOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Data written to stdin (the way secrets reach a child process, never argv). */
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Run as this OS user (POSIX: via runuser). */
  readonly user?: string;
  /** Values masked as *** in captured output and in errors. */
  readonly secrets?: readonly string[];
  /** Do not throw on a non-zero exit. */
  readonly allowFailure?: boolean;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Processes {
  /** execFile with an argument array: never a shell. */
  run(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  isElevated(): boolean;
  /** Looks an OS user up; undefined when it does not exist. */
  lookupUser(name: string): Promise<{ uid: number; gid: number; home: string } | undefined>;
  /** The name of the account with this uid (POSIX; undefined where there are no uids). */
  lookupUserName(uid: number): Promise<string | undefined>;
}

export type ServiceState = 'running' | 'stopped' | 'starting' | 'missing' | 'unknown';

export interface ServiceDefinition {
  /** Service name (Windows service name, runit directory name, systemd unit name without .service). */
  readonly name: string;
  readonly displayName: string;
  readonly description?: string;
  /** Executable and its arguments. */
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  /** Non-secret environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Account the service runs as. */
  readonly account?: string;
  /** Services that must be running first. */
  readonly dependsOn?: readonly string[];
  /** Where the service writes its log (runit: log dir; systemd: journal plus this file). */
  readonly logFile?: string;
  readonly autoStart?: boolean;
  /**
   * The signal that stops it cleanly without waiting for its clients, when that is not TERM
   * (PostgreSQL: INT, a fast shutdown; on TERM it waits for every session to end).
   */
  readonly stopSignal?: 'INT';
}

export interface Readiness {
  /** A line that appears in the service log when it is ready. */
  readonly logLine?: RegExp;
  /** Or a TCP port that accepts connections when it is ready. */
  readonly port?: number | undefined;
  /** With both a log line and a port: whether either (default) or both must show readiness. */
  readonly needs?: 'any' | 'all' | undefined;
  readonly timeoutMs: number;
}

export interface ServiceManager {
  readonly kind: 'runit' | 'systemd' | 'windows';
  install(def: ServiceDefinition): Promise<void>;
  /** Sets the account (and, on Windows, its password, given out of band) the service runs as. */
  setAccount(name: string, account: string, password?: string): Promise<void>;
  start(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  status(name: string): Promise<ServiceState>;
  waitReady(name: string, readiness: Readiness, logFile?: string): Promise<void>;
  remove(name: string): Promise<void>;
  /** The installed definition, to compare with a wanted one (undefined when not installed). */
  installed(name: string): Promise<string | undefined>;
  /** The text installed() returns once `def` is installed, to tell whether install would change anything. */
  render(def: ServiceDefinition): string;
  /** Makes sure something supervises the services (runit: a runsvdir); says what it did. */
  ensureSupervisor?(): Promise<{ readonly started: boolean; readonly message: string; readonly pid?: number; readonly createdDir?: boolean }>;
  /** Stops a supervisor ensureSupervisor started, once it supervises nothing; says what it had to leave. */
  stopSupervisor?(pid: number, options: { readonly removeDir: boolean }): Promise<{ readonly kept?: string }>;
}

export interface Network {
  /** Whether a TCP connection to host:port opens within the timeout. */
  canConnect(host: string, port: number, timeoutMs: number): Promise<boolean>;
  /** Addresses a host name resolves to (empty when it does not resolve). */
  resolve(host: string): Promise<readonly string[]>;
  /** This machine's own addresses. */
  localAddresses(): readonly string[];
  /** Whether nothing listens on the port on this machine. */
  isPortFree(port: number, host?: string): Promise<boolean>;
  /** The process listening on a TCP port (undefined when none, or where it cannot be told). */
  portOwner(port: number): Promise<{ readonly pid: number; readonly program: string } | undefined>;
  /** One HTTP(S) request, bounded in time; any status is an answer, no answer is an error. */
  request(req: HttpRequest): Promise<HttpResponse>;
}

/** An HTTP(S) request; `tls` carries PEM texts (the CA to trust, and a client certificate). */
export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  readonly timeoutMs: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

/** Protected storage for secrets the installed product needs at run time (e.g. the connection string). */
export interface SecretStore {
  /** Stores the value so only `account` (and administrators) can read it. Returns where. */
  put(path: string, value: string, account?: string): Promise<void>;
  get(path: string): Promise<string | undefined>;
}

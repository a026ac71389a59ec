/**
 * The elevated agent's protocol (pure Node, no Electron): the GUI writes a one-time token to a
 * 0600 file and starts `spsetup agent --socket PATH --token-file FILE` elevated; the agent reads
 * and deletes the file, listens on a Unix socket or Windows named pipe, and serves one client whose
 * first line carries the token. Then JSON lines: requests {id, method, params}, replies
 * {id, ok, value|error} and events {id, event}. The token never appears on a command line.
 * The agent serves only AGENT_METHODS (what needs elevation or the root-only state), reads
 * `{file}` secrets as its caller, and binds its socket in a folder of its own (agent-socket.ts).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorInfoOf, invokeBackend, isInstallerMethod, parseRequest } from '../shared/ipc.js';
import type { EventSink, InstallerBackend, InstallerMethod, RequestOf, ResultOf } from '../shared/ipc.js';
import { UserError } from '../shared/errors.js';
import type { ProgressEvent } from '../shared/plan.js';
import { backendForCaller } from './agent-export.js';
import { inlineFileSecrets } from './agent-secrets.js';
import { listenPrivately, removeSocketFolder, type SocketCaller } from './agent-socket.js';

/** How long the agent waits for its client to connect and authenticate before exiting. */
export const AUTH_TIMEOUT_MS = 60_000;
const MAX_LINE = 32 * 1024 * 1024;

/**
 * The methods the GUI sends to the agent (routed-backend.ts): those that change the machine or read
 * the root-only state. The rest (importBundle, importSpc, tests of the database, share and host
 * name) run unelevated in the GUI; the agent refuses them, so root never opens a file for them.
 */
export const AGENT_METHODS: readonly InstallerMethod[] = [
  'plan', 'apply', 'cancel', 'resume', 'rollback', 'status', 'saveDiagnostics', 'exportBundle',
  'detectMigration', 'planMigration', 'applyMigration', 'resumeMigration',
  'siteStatus', 'planSiteOperation', 'runSiteOperation', 'siteSettings', 'siteBackup',
  'planDbPrepare', 'applyDbPrepare',
];

export interface AgentRendezvous {
  /** Private directory (0700) holding the token file. */
  readonly dir: string;
  /** On Unix: in a folder that does not exist yet, which the agent makes (root-owned). */
  readonly socketPath: string;
  readonly tokenFile: string;
  readonly token: string;
}

/** Creates a 0600 token file in a fresh private directory and names the socket in a folder still to be made. */
export async function prepareRendezvous(platform: NodeJS.Platform = process.platform): Promise<AgentRendezvous> {
  const dir = await mkdtemp(join(tmpdir(), 'spsetup-agent-'));
  const token = randomBytes(32).toString('hex');
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, token, { mode: 0o600, flag: 'wx' });
  const socketPath = platform === 'win32' ? `\\\\.\\pipe\\spsetup-${randomBytes(12).toString('hex')}` : join(tmpdir(), `spsetup-agent-sock-${randomBytes(12).toString('hex')}`, 'agent.sock');
  return { dir, socketPath, tokenFile, token };
}

/** Removes the rendezvous directory (token file); the agent removes its socket folder. */
export async function disposeRendezvous(r: AgentRendezvous): Promise<void> {
  await rm(r.dir, { recursive: true, force: true });
}

/** Reads the one-time token and deletes its file; refuses a file others could read. */
export async function consumeTokenFile(path: string): Promise<{ token: string; ownerUid: number; ownerGid: number }> {
  const info = await stat(path).catch(() => {
    throw new UserError('not-found', `The agent token file ${path} does not exist.`, 'Start the agent from the wizard, which creates the token file.');
  });
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    await unlink(path).catch(() => undefined);
    throw new UserError('permission-denied', `The agent token file ${path} is readable by others.`, 'The token file must have mode 0600.');
  }
  const token = (await readFile(path, 'utf8')).trim();
  await unlink(path);
  if (token.length < 32) throw new UserError('invalid-input', 'The agent token file is empty or too short.', 'Start the agent from the wizard.');
  return { token, ownerUid: info.uid, ownerGid: info.gid };
}

/** The command line that starts the agent: paths only, never the token. */
export function buildAgentArgs(cliPath: string, r: Pick<AgentRendezvous, 'socketPath' | 'tokenFile'>): string[] {
  return [cliPath, 'agent', '--socket', r.socketPath, '--token-file', r.tokenFile];
}

// @vscode/sudo-prompt runs the command through a .bat file (Windows) or inside bash -c "..."
// (Linux): refuse anything cmd.exe or bash would interpret inside double quotes, on every platform.
const UNSAFE_IN_PROMPT = /["%^&|<>!$`\r\n]/;

/** Quotes one argument for the shell string @vscode/sudo-prompt needs (POSIX sh or cmd.exe). */
export function quoteForShell(arg: string, platform: NodeJS.Platform = process.platform): string {
  if (UNSAFE_IN_PROMPT.test(arg)) {
    throw new UserError(
      'invalid-input',
      `The path "${arg}" contains a character that cannot be passed to the elevation prompt.`,
      'Install spsetup in a folder whose path has none of " % ^ & | < > ! $ ` (the default Program Files folder works).',
    );
  }
  return platform === 'win32' ? `"${arg}"` : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Refuses a socket or pipe path that is not one prepareRendezvous makes (a plain pipe name or absolute path). */
export function assertRendezvousPath(socketPath: string): void {
  if (!/^\\\\\.\\pipe\\[A-Za-z0-9._-]{1,200}$/.test(socketPath) && !/^\/[A-Za-z0-9._/-]+$/.test(socketPath)) {
    throw new UserError('invalid-input', 'The agent pipe name is not valid.', 'Use prepareRendezvous().');
  }
}

function timingSafeTokenEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Splits a socket's data into JSON lines. */
function onJsonLines(socket: Socket, handle: (msg: unknown) => void): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_LINE) {
      socket.destroy();
      return;
    }
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim() === '') continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        socket.destroy();
        return;
      }
      handle(msg);
    }
  });
}

function send(socket: Socket, msg: unknown): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(msg)}\n`);
}

export interface AgentOptions {
  readonly socketPath: string;
  readonly tokenFile: string;
  readonly backend: InstallerBackend;
  readonly authTimeoutMs?: number;
}

export interface RunningAgent {
  /** Resolves when the client has disconnected (or never authenticated) and the server closed. */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

/** Starts the agent's socket server; it serves one authenticated client and ends with it. */
export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const { token, ownerUid, ownerGid } = await consumeTokenFile(opts.tokenFile);
  // Whoever wrote the token file is the caller: only they may connect, and secrets are read as them.
  const caller: SocketCaller = { uid: ownerUid, gid: ownerGid };
  let client: Socket | undefined;
  const server: Server = createServer((socket) => {
    if (client !== undefined) {
      socket.destroy();
      return;
    }
    let authed = false;
    onJsonLines(socket, (msg) => {
      if (!authed) {
        const offered = typeof msg === 'object' && msg !== null ? (msg as { token?: unknown }).token : undefined;
        if (typeof offered !== 'string' || !timingSafeTokenEqual(offered, token) || client !== undefined) {
          send(socket, { ok: false, error: { code: 'permission-denied', message: 'The agent refused the connection: wrong token.' } });
          socket.end();
          return;
        }
        authed = true;
        client = socket;
        clearTimeout(authTimer);
        send(socket, { ok: true, hello: 'spsetup-agent' });
        socket.on('close', () => void shutdown());
        return;
      }
      void serveRequest(opts.backend, socket, msg, caller);
    });
    socket.on('error', () => socket.destroy());
  });
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const shutdown = async (): Promise<void> => {
    clearTimeout(authTimer);
    client?.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (process.platform !== 'win32') await removeSocketFolder(opts.socketPath);
    finish();
  };
  const authTimer = setTimeout(() => void shutdown(), opts.authTimeoutMs ?? AUTH_TIMEOUT_MS);
  authTimer.unref();
  try {
    if (process.platform === 'win32') {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.socketPath, () => resolve());
      });
    } else {
      await listenPrivately(server, opts.socketPath, caller);
    }
  } catch (err) {
    clearTimeout(authTimer);
    server.close();
    throw err;
  }
  return { done, close: shutdown };
}

/** Runs the agent until its client disconnects (the CLI's `spsetup agent`). */
export async function runAgent(opts: AgentOptions): Promise<void> {
  const agent = await startAgent(opts);
  await agent.done;
}

async function serveRequest(backend: InstallerBackend, socket: Socket, msg: unknown, caller: SocketCaller): Promise<void> {
  const req = (typeof msg === 'object' && msg !== null ? msg : {}) as { id?: unknown; method?: unknown; params?: unknown };
  const id = typeof req.id === 'number' || typeof req.id === 'string' ? req.id : null;
  if (!isInstallerMethod(req.method)) {
    send(socket, { id, ok: false, error: { code: 'invalid-input', message: 'Unknown agent method.' } });
    return;
  }
  if (!AGENT_METHODS.includes(req.method)) {
    send(socket, { id, ok: false, error: { code: 'permission-denied', message: `The elevated agent does not run ${req.method}; the wizard runs it without elevation.` } });
    return;
  }
  try {
    const own = caller.uid === (process.getuid?.() ?? caller.uid);
    const parsed = parseRequest(req.method, own ? req.params : await inlineFileSecrets(req.params, caller));
    if (!parsed.ok) {
      send(socket, { id, ok: false, error: parsed.error });
      return;
    }
    const value = await invokeBackend(own ? backend : backendForCaller(backend, caller), req.method, parsed.value, (event) => send(socket, { id, event }));
    send(socket, { id, ok: true, value: value ?? null });
  } catch (err) {
    send(socket, { id, ok: false, error: errorInfoOf(err) });
  }
}

/** A connected agent: the same InstallerBackend, served across the socket. */
export interface AgentClient {
  readonly backend: InstallerBackend;
  close(): void;
  readonly closed: Promise<void>;
}

/** Connects to an agent and authenticates with the token. */
export async function connectAgent(socketPath: string, token: string): Promise<AgentClient> {
  const socket = createConnection(socketPath);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; onEvent?: EventSink }>();
  let nextId = 1;
  let hello: ((ok: boolean, msg: unknown) => void) | undefined;
  const helloDone = new Promise<void>((resolve, reject) => {
    hello = (ok, msg) => (ok ? resolve() : reject((msg as { error?: unknown }).error ?? new Error('agent refused the connection')));
  });
  onJsonLines(socket, (raw) => {
    const msg = raw as { id?: number; ok?: boolean; value?: unknown; error?: unknown; event?: ProgressEvent; hello?: string };
    if (hello !== undefined) {
      const h = hello;
      hello = undefined;
      h(msg.ok === true, msg);
      return;
    }
    const p = typeof msg.id === 'number' ? pending.get(msg.id) : undefined;
    if (p === undefined) return;
    if (msg.event !== undefined) {
      p.onEvent?.(msg.event);
      return;
    }
    pending.delete(msg.id as number);
    if (msg.ok === true) p.resolve(msg.value === null ? undefined : msg.value);
    else p.reject(msg.error);
  });
  const closed = new Promise<void>((resolve) =>
    socket.on('close', () => {
      hello?.(false, { error: { code: 'permission-denied', message: 'The agent closed the connection.' } });
      for (const p of pending.values()) p.reject({ code: 'internal', message: 'The elevated agent stopped unexpectedly.', fix: 'Save diagnostics and try again.' });
      pending.clear();
      resolve();
    }),
  );
  socket.on('error', () => undefined);
  send(socket, { token });
  await helloDone;

  const call = <M extends InstallerMethod>(method: M, params: RequestOf<M>, onEvent?: EventSink): Promise<ResultOf<M>> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(onEvent ? { onEvent } : {}) });
      send(socket, { id, method, params: params ?? null });
    });
  const backend: InstallerBackend = {
    environment: () => call('environment', undefined),
    testDatabase: (i) => call('testDatabase', i),
    testShare: (i) => call('testShare', i),
    checkHostname: (i) => call('checkHostname', i),
    plan: (i) => call('plan', i),
    apply: (i, e) => call('apply', i, e),
    cancel: () => call('cancel', undefined),
    resume: (i, e) => call('resume', i, e),
    rollback: (i, e) => call('rollback', i, e),
    status: (i) => call('status', i),
    saveDiagnostics: () => call('saveDiagnostics', undefined),
    exportBundle: (i) => call('exportBundle', i),
    importBundle: (i) => call('importBundle', i),
    importSpc: (i) => call('importSpc', i),
    detectMigration: (i) => call('detectMigration', i),
    planMigration: (i) => call('planMigration', i),
    applyMigration: (i, e) => call('applyMigration', i, e),
    resumeMigration: (i, e) => call('resumeMigration', i, e),
    siteStatus: (i) => call('siteStatus', i),
    planSiteOperation: (i) => call('planSiteOperation', i),
    runSiteOperation: (i, e) => call('runSiteOperation', i, e),
    siteSettings: (i) => call('siteSettings', i),
    siteBackup: (i) => call('siteBackup', i),
    planDbPrepare: (i) => call('planDbPrepare', i),
    applyDbPrepare: (i, e) => call('applyDbPrepare', i, e),
  };
  return { backend, close: () => socket.end(), closed };
}

/** Waits until an agent accepts connections on the path (bounded; the elevation prompt may take a while). */
export async function waitForAgent(socketPath: string, timeoutMs: number, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection(socketPath);
      s.once('connect', () => {
        // A probe connection is not the client: close it at once, the agent ignores it.
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!isAlive() || Date.now() > deadline) {
      throw new UserError('timeout', 'The elevated agent did not start.', 'Approve the administrator prompt, or run the wizard as an administrator.');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

import { stat } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_METHODS, buildAgentArgs, connectAgent, disposeRendezvous, prepareRendezvous, startAgent } from '../../../electron/main/agent-protocol.js';
import type { AgentRendezvous, RunningAgent } from '../../../electron/main/agent-protocol.js';
import { buildElevatedCommand, startElevatedAgent } from '../../../electron/main/elevation.js';
import { createFakeBackend } from '../../support/fake-backend.js';
import { UserError } from '../../../electron/shared/errors.js';
import { INSTALLER_METHODS, type InstallerBackend } from '../../../electron/shared/ipc.js';
import { routeBackend } from '../../../electron/main/routed-backend.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ r: AgentRendezvous; agent: RunningAgent; backend: ReturnType<typeof createFakeBackend> }> {
  const r = await prepareRendezvous();
  const backend = createFakeBackend();
  cleanups.push(() => disposeRendezvous(r));
  const agent = await startAgent({ socketPath: r.socketPath, tokenFile: r.tokenFile, backend });
  cleanups.push(() => agent.close());
  return { r, agent, backend };
}

describe('agent protocol', () => {
  it('writes the token file 0600 and the agent deletes it after reading', async () => {
    const r = await prepareRendezvous();
    cleanups.push(() => disposeRendezvous(r));
    expect((await stat(r.tokenFile)).mode & 0o777).toBe(0o600);
    const agent = await startAgent({ socketPath: r.socketPath, tokenFile: r.tokenFile, backend: createFakeBackend() });
    cleanups.push(() => agent.close());
    await expect(stat(r.tokenFile)).rejects.toThrow();
    expect((await stat(r.socketPath)).mode & 0o077).toBe(0);
  });

  it('refuses a token file others can read', async () => {
    const r = await prepareRendezvous();
    cleanups.push(() => disposeRendezvous(r));
    const { chmod } = await import('node:fs/promises');
    await chmod(r.tokenFile, 0o644);
    await expect(startAgent({ socketPath: r.socketPath, tokenFile: r.tokenFile, backend: createFakeBackend() })).rejects.toThrow(/readable by others/);
  });

  it('refuses a wrong token and serves nothing', async () => {
    const { r, backend } = await setup();
    await expect(connectAgent(r.socketPath, 'f'.repeat(64))).rejects.toMatchObject({ code: 'permission-denied' });
    // A client that skips the handshake and sends a request gets no answer from the back end.
    const raw = createConnection(r.socketPath);
    const reply = await new Promise<string>((resolve) => {
      let data = '';
      raw.on('data', (c) => (data += c.toString()));
      raw.on('close', () => resolve(data));
      raw.write(`${JSON.stringify({ id: 1, method: 'environment', params: null })}\n`);
    });
    expect(reply).toContain('wrong token');
    expect(backend.calls).toEqual([]);
  });

  it('serves calls and streams events to the authenticated client', async () => {
    const { r, agent } = await setup();
    const client = await connectAgent(r.socketPath, r.token);
    // Only the elevated methods are served (issue 11, attack 6): the rest run unelevated in the GUI.
    for (const call of [() => client.backend.environment(), () => client.backend.importBundle({ path: '/etc/shadow', passphrase: 'x' }), () => client.backend.importSpc({ text: '' })]) {
      await expect(call()).rejects.toMatchObject({ code: 'permission-denied' });
    }
    const events: string[] = [];
    const result = await client.backend.apply({ planId: 'p', settings: { product: 'reference' } as never }, (e) => events.push(e.kind));
    expect(result.outcome).toBe('done');
    expect(events[0]).toBe('run-started');
    expect(events.filter((k) => k === 'step-finished').length).toBeGreaterThan(3);
    expect(events.at(-1)).toBe('run-finished');
    // Bad payloads are refused by the same schemas as IPC.
    await expect(client.backend.plan({ settings: 'nope' as never })).rejects.toMatchObject({ code: 'invalid-input' });
    // Only one client: a second one, even with the token, is turned away.
    await expect(connectAgent(r.socketPath, r.token)).rejects.toBeDefined();
    client.close();
    await agent.done;
  });

  it('routes to the agent exactly the methods the agent serves', async () => {
    const sent = new Set<string>();
    // Not thenable ('then' undefined), or Promise.resolve would wait on it.
    const proxy = (onCall: (m: string) => void) => new Proxy({}, { get: (_t, m: string) => (m === 'then' ? undefined : async () => void onCall(m)) }) as InstallerBackend;
    const agent = proxy((m) => sent.add(m));
    const routed = routeBackend(proxy(() => undefined), false, () => Promise.resolve(agent));
    await routed.apply({} as never, () => undefined); // the agent exists from here on
    for (const m of INSTALLER_METHODS) await (routed[m] as (i: unknown, e: unknown) => Promise<unknown>)({}, () => undefined);
    expect([...sent].sort()).toEqual([...AGENT_METHODS].sort());
  });

  it('ends when no client authenticates in time', async () => {
    const r = await prepareRendezvous();
    cleanups.push(() => disposeRendezvous(r));
    const agent = await startAgent({ socketPath: r.socketPath, tokenFile: r.tokenFile, backend: createFakeBackend(), authTimeoutMs: 100 });
    await agent.done;
  });

  it('puts paths, never the token, on the command line', async () => {
    const r = await prepareRendezvous();
    cleanups.push(() => disposeRendezvous(r));
    const args = buildAgentArgs('/app/bin/spsetup.js', r);
    expect(args).toEqual(['/app/bin/spsetup.js', 'agent', '--socket', r.socketPath, '--token-file', r.tokenFile]);
    const cmd = buildElevatedCommand({ execPath: '/opt/Shared Persistence Setup/spsetup', cliPath: "/app/it's/bin/spsetup.js" }, r.socketPath, r.tokenFile, 'linux');
    expect(cmd).not.toContain(r.token);
    expect(args.join(' ')).not.toContain(r.token);
    expect(cmd).toBe(`'/opt/Shared Persistence Setup/spsetup' '/app/it'\\''s/bin/spsetup.js' 'agent' '--socket' '${r.socketPath}' '--token-file' '${r.tokenFile}'`);
    expect(buildElevatedCommand({ execPath: 'C:\\Program Files\\spsetup\\spsetup.exe', cliPath: 'C:\\app\\bin\\spsetup.js' }, '\\\\.\\pipe\\x', 'C:\\t\\token', 'win32')).toBe(
      '"C:\\Program Files\\spsetup\\spsetup.exe" "C:\\app\\bin\\spsetup.js" "agent" "--socket" "\\\\.\\pipe\\x" "--token-file" "C:\\t\\token"',
    );
  });

  // Moved from the second launcher (system/windows/elevation.ts), now gone: the same cases against the one in production.
  it('makes a private token file and a fresh pipe name, and builds the Windows prompt command without the token', async () => {
    const r = await prepareRendezvous('win32');
    cleanups.push(() => disposeRendezvous(r));
    if (process.platform !== 'win32') {
      expect((await stat(r.tokenFile)).mode & 0o777).toBe(0o600);
      expect((await stat(r.dir)).mode & 0o777).toBe(0o700);
    }
    expect(r.socketPath).toMatch(/^\\\\\.\\pipe\\spsetup-[0-9a-f]{24}$/);
    const other = await prepareRendezvous('win32');
    cleanups.push(() => disposeRendezvous(other));
    expect(other.socketPath).not.toBe(r.socketPath);
    const cmd = buildElevatedCommand({ execPath: 'C:\\Program Files\\Shared Persistence Setup\\spsetup.exe', cliPath: 'C:\\app\\bin\\spsetup.js' }, r.socketPath, r.tokenFile, 'win32');
    expect(cmd).toBe(`"C:\\Program Files\\Shared Persistence Setup\\spsetup.exe" "C:\\app\\bin\\spsetup.js" "agent" "--socket" "${r.socketPath}" "--token-file" "${r.tokenFile}"`);
    expect(cmd).not.toContain(r.token);
  });

  it.each(['C:\\100%\\spsetup.exe', 'C:\\a&b\\spsetup.exe', 'C:\\"x"\\spsetup.exe', 'C:\\$(x)\\spsetup.exe', '/opt/a$(id)/spsetup', '/opt/`id`/spsetup'])(
    'refuses an executable path %j that the prompt would interpret, on either platform',
    (execPath) => {
      for (const platform of ['win32', 'linux'] as const) {
        expect(() => buildElevatedCommand({ execPath, cliPath: 'C:\\app\\spsetup.js' }, '\\\\.\\pipe\\x', 'C:\\t\\token', platform)).toThrow(UserError);
      }
    },
  );

  it('refuses a pipe name that is not a plain pipe', () => {
    expect(() => buildElevatedCommand({ execPath: 'C:\\s.exe', cliPath: 'C:\\a.js' }, '\\\\.\\pipe\\a b', 'C:\\t', 'win32')).toThrow('pipe name');
  });

  it('starts the agent through sudo-prompt when not elevated, with the token only in the file', async () => {
    let command = '';
    let options: unknown;
    // Stand-in for @vscode/sudo-prompt (no UAC/pkexec here): run the agent in-process from the command's paths.
    const fakeSudo = (cmd: string, opts: unknown, cb: (err?: Error) => void): void => {
      command = cmd;
      options = opts;
      const m = /'--socket' '([^']+)' '--token-file' '([^']+)'/.exec(cmd);
      if (!m) return cb(new Error('bad command'));
      void startAgent({ socketPath: m[1]!, tokenFile: m[2]!, backend: createFakeBackend() }).then((a) => a.done.then(() => cb()));
    };
    const client = await startElevatedAgent({ execPath: '/usr/bin/node', cliPath: '/app/bin/spsetup.js', elevated: false }, fakeSudo);
    expect(options).toMatchObject({ name: 'Shared Persistence Setup' });
    expect(command).toMatch(/^'\/usr\/bin\/node' '\/app\/bin\/spsetup.js' 'agent' '--socket' /);
    expect(command).not.toMatch(/[0-9a-f]{64}/);
    expect((await client.backend.status({ settings: {} as never })).nodes[0]?.hostname).toBe('node1.example.test');
    client.close();
    await client.closed;
  });
});

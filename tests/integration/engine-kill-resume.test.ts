/**
 * The foundation's promise: a plan of real steps (folders, file content, a PostgreSQL config and
 * pg_hba edit on a throwaway server, a runit service registration and start), killed with SIGKILL
 * inside each step in turn (after the journal shows it started, before it finished), then resumed,
 * ends exactly where an uninterrupted run ends; applied again it changes nothing.
 *
 * The runner runs in a child process (the compiled engine in dist/), which holds still inside the
 * chosen step so that the kill lands there every time, not by luck of timing.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, clusterSkipReason, journalSteps } from '../support/cluster.js';
import { startTestServer, type TestServer } from '../support/pg-server.js';
import { stopSupervisor } from '../support/runit.js';
import { diffSnapshots, takeSnapshot, type Snapshot } from '../support/snapshot.js';

const skip = clusterSkipReason();
const STEPS = ['folders', 'app-config', 'pg-settings', 'pg-access', 'service', 'service-start'] as const;

const CHILD = `
import { readFileSync } from 'node:fs';
const [, , mode, cfgPath, pauseAt] = process.argv;
const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
const dist = (p) => import(cfg.dist + p);
const { createPosixSystem } = await dist('/system/system.js');
const { createStepRegistry } = await dist('/features/installer/step-kinds.js');
const { previewPlan } = await dist('/engine/plan-builder.js');
const { applyPlan, resumePlan } = await dist('/engine/runner.js');
const sys = createPosixSystem({ serviceManager: 'runit', runitDir: cfg.serviceDir, definitionsDir: cfg.definitionsDir });
const registry = createStepRegistry();
const onEvent = (e) => {
  // The step's "what I am about to change" line comes after its start is in the journal.
  if (e.kind === 'log' && e.stepId === pauseAt) {
    process.stdout.write('paused ' + e.stepId + '\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
  }
  if (e.kind === 'step-finished') process.stdout.write((e.changed ? 'changed ' : 'unchanged ') + e.stepId + '\\n');
};
const options = { registry, sys, stateDir: cfg.stateDir, secrets: () => undefined, onEvent };
const ctx = { sys, stateDir: cfg.stateDir, signal: new AbortController().signal, secret: () => '' };
const result = mode === 'apply' ? await applyPlan(await previewPlan(cfg.draft, {}, registry, ctx), options) : await resumePlan(options);
process.stdout.write(JSON.stringify({ outcome: result.outcome, error: result.error }) + '\\n');
process.exit(result.outcome === 'done' ? 0 : 1);
`;

describe.skipIf(skip)(`engine kill and resume with real steps${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let server: TestServer;
  let scripts: string;
  let base: string;
  let supervisor = 0;
  let originalConf: string;
  let originalHba: string;
  const paths = () => ({
    app: join(base, 'app'),
    stateDir: join(base, 'state'),
    serviceDir: join(base, 'runit', 'service'),
    definitionsDir: join(base, 'runit', 'sv'),
  });

  const draft = () => {
    const p = paths();
    return {
      title: 'engine kill/resume',
      secrets: [],
      warnings: [],
      steps: [
        { id: 'folders', kind: 'directory', title: 'Folders', params: { paths: [p.app, join(p.app, 'conf'), join(p.app, 'log')], mode: 0o750 } },
        { id: 'app-config', kind: 'file-content', title: 'Config', params: { path: join(p.app, 'conf', 'app.conf'), content: 'greeting = hello\nworkers = 4\n', mode: 0o640 } },
        {
          id: 'pg-settings',
          kind: 'pg-conf',
          title: 'postgresql.conf',
          params: { path: server.confPath, settings: { max_connections: '150', work_mem: '8MB' }, validate: { binDir: server.binDir, dataDir: server.dataDir, osUser: 'postgres' } },
        },
        {
          id: 'pg-access',
          kind: 'pg-hba',
          title: 'pg_hba.conf',
          params: { path: server.hbaPath, rules: [{ type: 'host', database: 'QSR', user: 'qliksenserepository', address: '10.250.9.0/24', method: 'scram-sha-256' }] },
        },
        {
          id: 'service',
          kind: 'service',
          title: 'Register spcl-sleeper',
          params: { definition: { name: 'spcl-sleeper', displayName: 'Sleeper', command: '/bin/sleep', args: ['3600'], logFile: join(p.app, 'log', 'sleeper.log'), autoStart: false } },
        },
        { id: 'service-start', kind: 'service-running', title: 'Start spcl-sleeper', params: { services: [{ name: 'spcl-sleeper', readiness: { timeoutMs: 10_000 } }], host: '127.0.0.1' } },
      ],
    };
  };

  /** Runs the child; when pauseAt is given, kills it (SIGKILL) once it holds inside that step. */
  async function runChild(mode: 'apply' | 'resume', pauseAt = ''): Promise<{ code: number | null; out: string }> {
    const cfgPath = join(scripts, 'cfg.json');
    await writeFile(cfgPath, JSON.stringify({ dist: join(REPO_ROOT, 'dist', 'electron'), draft: draft(), ...paths() }));
    const child = spawn(process.execPath, [join(scripts, 'child.mjs'), mode, cfgPath, pauseAt], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += String(d);
      if (pauseAt && out.includes(`paused ${pauseAt}\n`)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (out += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    clearTimeout(timer);
    return { code, out };
  }

  /** Empties the work folder, restores the server's files and starts a fresh runsvdir on the same paths. */
  async function reset(): Promise<void> {
    if (supervisor) await stopSupervisor(supervisor, base);
    await rm(base, { recursive: true, force: true });
    await mkdir(paths().serviceDir, { recursive: true, mode: 0o755 });
    await mkdir(paths().definitionsDir, { recursive: true, mode: 0o755 });
    await writeFile(server.confPath, originalConf);
    await writeFile(server.hbaPath, originalHba);
    const child = spawn('runsvdir', ['-P', paths().serviceDir], { detached: true, stdio: 'ignore' });
    supervisor = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid ?? 0));
    });
    child.unref();
  }

  async function snapshot(): Promise<Snapshot> {
    const s = await takeSnapshot({ roots: [base, server.confPath, server.hbaPath], serviceDirs: [paths().serviceDir], ignore: [/\/state$/, /\/supervise$/, /\.log$/] });
    return s;
  }

  beforeAll(async () => {
    server = await startTestServer({ flavor: 'embedded17' });
    originalConf = await readFile(server.confPath, 'utf8');
    originalHba = await readFile(server.hbaPath, 'utf8');
    scripts = await mkdtemp(join(tmpdir(), 'spcl-engine-'));
    await writeFile(join(scripts, 'child.mjs'), CHILD);
    base = join(scripts, 'work');
  });

  afterAll(async () => {
    if (supervisor) await stopSupervisor(supervisor, base);
    await server?.stop();
    if (scripts) await rm(scripts, { recursive: true, force: true });
  });

  let reference: Snapshot;

  it('an uninterrupted run changes every step; a second run changes none', async () => {
    await reset();
    const first = await runChild('apply');
    expect(first.code, first.out).toBe(0);
    expect(first.out.match(/^changed \S+$/gm)).toEqual(STEPS.map((s) => `changed ${s}`));
    reference = await snapshot();
    expect(reference.services[join(paths().serviceDir, 'spcl-sleeper')]).toMatch(/^run/);
    const again = await runChild('apply');
    expect(again.code, again.out).toBe(0);
    expect(again.out.match(/^unchanged \S+$/gm)).toEqual(STEPS.map((s) => `unchanged ${s}`));
  });

  for (const stepId of STEPS) {
    it(`killed inside "${stepId}", resumed: the same end state, and nothing to do a second time`, async () => {
      await reset();
      const killed = await runChild('apply', stepId);
      expect(killed.code, killed.out).toBeNull();
      expect(killed.out).toContain(`paused ${stepId}`);
      const started = (await journalSteps(paths().stateDir, 'step-started')).map((e) => e.stepId);
      const done = (await journalSteps(paths().stateDir, 'step-done')).map((e) => e.stepId);
      expect(started.at(-1)).toBe(stepId);
      expect(done).toEqual(STEPS.slice(0, STEPS.indexOf(stepId)));
      const resumed = await runChild('resume');
      expect(resumed.code, resumed.out).toBe(0);
      expect(diffSnapshots(reference, await snapshot())).toEqual([]);
      const again = await runChild('apply');
      expect(again.code, again.out).toBe(0);
      expect(again.out.match(/^unchanged \S+$/gm)).toEqual(STEPS.map((s) => `unchanged ${s}`));
    });
  }
});

/**
 * A whole Windows create-cluster install, planned by the real planner and applied by the real step
 * kinds through the real Windows adapters; only the CommandRunner is fake (a small simulated
 * machine), file contents go to a temp folder. The ordered commands and scripts are compared with
 * a golden file, and the passwords are proven to travel on stdin only.
 */
import { mkdtemp, mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlanDraft } from '../../../../electron/engine/plan-builder.js';
import type { StepContext } from '../../../../electron/engine/step-kind.js';
import { resolveLayout } from '../../../../electron/features/installer/layout.js';
import { resolveSecrets } from '../../../../electron/features/installer/load-settings.js';
import { planInstall } from '../../../../electron/features/installer/planner.js';
import { createStepRegistry } from '../../../../electron/features/installer/step-kinds.js';
import { adaptPlanForWindows } from '../../../../electron/features/installer/steps/windows-plan.js';
import { windowsStepKinds } from '../../../../electron/features/installer/steps/windows-step-kinds.js';
import { getManifest } from '../../../../electron/product/index.js';
import { formatConnectionString } from '../../../../electron/shared/connection-string.js';
import { UserError } from '../../../../electron/shared/errors.js';
import { parseSettings, type Settings } from '../../../../electron/shared/settings.js';
import type { PgConnection } from '../../../../electron/system/postgres/index.js';
import type { System } from '../../../../electron/system/system.js';
import { createWindowsSystem } from '../../../../electron/system/windows/windows-system.js';
import { FakeWindows } from '../../system/windows/fake-windows.js';
import { countOccurrences, expectNotInArgv, type RecordedCall } from '../../system/windows/recording-runner.js';

const servicePassword = `p'w"d ; & % ^ \`tick\` end`;
const databasePassword = `db 'pw" ; & %PATH% ^ \`x\` $env:USERNAME`;
const nodeExe = 'C:\\Program Files\\spsetup\\node.exe';

function windowsSettings(overrides: Record<string, unknown> = {}): Settings {
  const r = parseSettings({
    product: 'qlik-sense',
    cluster: { mode: 'create' },
    database: { install: 'existing', host: 'dbserver', port: 4432, password: databasePassword },
    share: { root: '\\\\fileserver\\QlikShare' },
    serviceAccount: { user: 'DOMAIN\\qservice', password: servicePassword, isAdministrator: false },
    hostname: 'qlik1.example.com',
    // The guide's non-administrator path: services are started once the manual steps are done.
    startServices: false,
    plannedNodes: 2,
    ...overrides,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.settings;
}

function windowsPlan(settings: Settings): PlanDraft {
  const layout = resolveLayout(settings, getManifest(settings.product), 'win32', nodeExe);
  const draft = planInstall({ settings, layout, nodeExecutable: nodeExe, repositoryHost: settings.database.host });
  // Idempotent: a no-op once planInstall adapts win32 plans itself.
  return adaptPlanForWindows(draft, layout, settings.serviceAccount.isAdministrator);
}

function registry() {
  const r = createStepRegistry();
  for (const k of windowsStepKinds) {
    try {
      r.get(k.kind);
    } catch {
      r.register(k);
    }
  }
  return r;
}

/** The repository database: registration appears once Repository.exe has bootstrapped. */
function fakePostgres(machine: FakeWindows): System['postgres'] {
  const conn = { query: async () => (machine.bootstrapped ? [{ is_central: true }] : []), close: async () => undefined } as unknown as PgConnection;
  return { connect: async () => conn } as unknown as System['postgres'];
}

/** C:\x -> <root>/C/x, \\server\share\x -> <root>/UNC/server/share/x. */
function mapInto(root: string): (p: string) => string {
  return (p) => (p.startsWith('\\\\') ? join(root, 'UNC', ...p.slice(2).split('\\')) : join(root, p[0]!, ...p.slice(3).split('\\').filter(Boolean)));
}

/** Commands in order (an argument with spaces or quotes in [brackets]); each distinct script printed once; secrets by name. */
function renderGolden(log: readonly { label: string; calls: readonly RecordedCall[] }[], secrets: ReadonlyMap<string, string>): string {
  // Also the form a connection string quotes a password in (' doubled).
  const forms = [...secrets].flatMap(([name, value]) => [[name, value], [name, value.replace(/'/g, "''")]] as const);
  const hide = (text: string) => forms.reduce((t, [name, value]) => t.split(value).join(`{{${name}}}`), text);
  const scripts: string[] = [];
  const out: string[] = [];
  for (const { label, calls } of log) {
    out.push(`## ${label}`);
    for (const c of calls) {
      let line: string;
      if (c.script !== undefined) {
        let n = scripts.indexOf(c.script);
        if (n < 0) n = scripts.push(c.script) - 1;
        line = `powershell.exe ${c.args.slice(0, -1).join(' ')} <script S${n + 1}>`;
      } else line = [c.file, ...c.args].map((a) => (/[\s"]/.test(a) ? `[${a}]` : a)).join(' ');
      out.push(`> ${line}`);
      if (c.input) out.push(`  stdin: [${hide(c.input).replace(/\n/g, '\\n')}]`);
    }
  }
  out.push('', '# Scripts');
  scripts.forEach((s, i) => out.push(`## S${i + 1}`, ...s.split('\r\n').map((l) => `    ${l}`)));
  return `${out.join('\n')}\n`;
}

describe('a Windows create-cluster install through the Windows adapters', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'spsetup-win-golden-'));
    await mkdir(join(root, 'UNC', 'fileserver', 'QlikShare'), { recursive: true });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  function setUp() {
    const machine = new FakeWindows(new Map([['domain\\qservice', 'S-1-5-21-1004336348-1177238915-682003330-1105']]));
    const sys: System = { ...createWindowsSystem({ runner: machine.runner, elevated: true, files: { toFsPath: mapInto(root) } }), postgres: fakePostgres(machine) };
    return { machine, sys };
  }

  it('issues exactly the golden commands, passwords on stdin only, and a second check finds nothing to do', async () => {
    const settings = windowsSettings();
    const secrets = await resolveSecrets(settings, {});
    const plan = windowsPlan(settings);
    const { machine, sys } = setUp();
    const reg = registry();
    const ctx: StepContext<System> = {
      sys,
      secret: (n) => secrets.get(n) ?? '',
      log: () => undefined,
      progress: () => undefined,
      signal: new AbortController().signal,
      stateDir: 'C:\\ProgramData\\spsetup',
    };
    const log: { label: string; calls: RecordedCall[] }[] = [];
    const phase = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
      const from = machine.runner.calls.length;
      const result = await run();
      log.push({ label, calls: machine.runner.calls.slice(from) });
      return result;
    };

    expect(plan.steps.map((s) => s.kind)).not.toContain('os-account');
    expect(plan.secrets).toContain('serviceAccount.password');
    for (const step of plan.steps) {
      const kind = reg.get(step.kind);
      const params = kind.params.parse(step.params);
      const check = await phase(`${step.id} (${step.kind}): check`, () => kind.check(params, ctx));
      if (check.action !== 'noop') await phase(`${step.id}: apply`, () => kind.apply(params, ctx));
      await phase(`${step.id}: verify`, () => kind.verify(params, ctx));
    }
    const again: string[] = [];
    for (const step of plan.steps) {
      const kind = reg.get(step.kind);
      const check = await kind.check(kind.params.parse(step.params), ctx);
      if (check.action !== 'noop') again.push(`${step.id}: ${check.summary}`);
    }
    expect(again).toEqual([]);

    const calls = machine.runner.calls;
    expectNotInArgv(calls, servicePassword);
    expectNotInArgv(calls, databasePassword);
    // The service password: on stdin once per service whose logon is set, nowhere else.
    const serviceNames = [...machine.services.keys()];
    expect(serviceNames.length).toBeGreaterThan(3);
    const withPassword = calls.filter((c) => c.input.includes(servicePassword));
    expect(withPassword).toHaveLength(serviceNames.length);
    for (const c of withPassword) expect(countOccurrences(c.input, servicePassword)).toBe(1);
    for (const svc of machine.services.values()) expect(svc.account).toBe('DOMAIN\\qservice');
    // The database password: only inside the connection string DPAPI protects, on stdin.
    const layout = resolveLayout(settings, getManifest('qlik-sense'), 'win32', nodeExe);
    const connectionString = formatConnectionString({ userId: 'qliksenserepository', host: 'dbserver', port: 4432, database: 'QSR', password: databasePassword });
    const protect = calls.filter((c) => c.input.includes(connectionString));
    expect(protect).toHaveLength(1);
    expect(machine.protectedFiles.get(layout.connectionStringFile.toLowerCase())).toBe(connectionString);

    // What a person would check: groups, ACLs (the share names the domain account, the data folder the local group).
    expect(machine.members.get('Qlik Sense Service Users')?.has('domain\\qservice')).toBe(true);
    expect(machine.members.get('S-1-5-32-558')?.has('domain\\qservice')).toBe(true);
    expect(machine.acls.get('\\\\fileserver\\qlikshare\\apps')).toEqual(['DOMAIN\\qservice:(OI)(CI)(M)']);
    expect(machine.acls.get('c:\\programdata\\qlik\\sense')).toEqual(['QLIK1\\Qlik Sense Service Users:(OI)(CI)(F)']);
    const files = (await readdir(root, { recursive: true })).map((f) => relative(root, join(root, f)).split('\\').join('/')).sort();
    expect(files).toContain(join('C', 'ProgramData', 'Qlik', 'Sense', 'SharedPersistence.config'));
    expect(files).toContain(join('UNC', 'fileserver', 'QlikShare', 'StaticContent'));

    await expect(renderGolden(log, secrets)).toMatchFileSnapshot('../../../fixtures/windows/golden/install-create-cluster.txt');
  });

  it('refuses a service account that does not exist, before any change', async () => {
    const settings = windowsSettings({ serviceAccount: { user: 'DOMAIN\\nobody', password: servicePassword } });
    const plan = windowsPlan(settings);
    const { machine, sys } = setUp();
    const step = plan.steps.find((s) => s.kind === 'windows-account')!;
    const kind = registry().get(step.kind);
    const ctx = { sys, secret: () => '', log: () => undefined, progress: () => undefined, signal: new AbortController().signal, stateDir: 'C:\\ProgramData\\spsetup' };
    const err = await kind.check(kind.params.parse(step.params), ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain('DOMAIN\\nobody does not exist');
    expect((err as UserError).fix).toMatch(/does not create service accounts/);
    // Only the read-only lookup ran.
    expect(machine.runner.calls).toHaveLength(1);
    expect(machine.groups.has('Qlik Sense Service Users')).toBe(false);
  });

  it('refuses a local database on Windows with the alternative', () => {
    const settings = windowsSettings({ database: { install: 'local', host: 'localhost', password: databasePassword, superuserPassword: 'su' } });
    const layout = resolveLayout(settings, getManifest('qlik-sense'), 'win32', nodeExe);
    expect(() => planInstall({ settings, layout, nodeExecutable: nodeExe, databaseMediaDir: 'C:\\pg', repositoryHost: 'localhost' })).toThrow(/not supported on Windows/);
  });

  it('grants an administrator service account itself (no local group is made for it)', () => {
    const plan = windowsPlan(windowsSettings({ serviceAccount: { user: 'DOMAIN\\qadmin', password: servicePassword, isAdministrator: true } }));
    const data = plan.steps.find((s) => s.id === 'data-folder')!.params as { grants: { principal: string }[] };
    expect(data.grants.map((g) => g.principal)).toEqual(['DOMAIN\\qadmin']);
    expect((plan.steps.find((s) => s.kind === 'windows-account')!.params as { groups: string[] }).groups).toEqual([]);
  });
});

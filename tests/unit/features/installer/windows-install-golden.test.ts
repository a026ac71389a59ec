/**
 * A whole Windows create-cluster install, planned by the real planner and applied by the real step
 * kinds through the real Windows adapters; only the CommandRunner is fake (a small simulated
 * machine), file contents go to a temp folder. The ordered commands and scripts are compared with
 * a golden file, and the passwords are proven to travel on stdin only.
 */
import { NODE_AGENT_SERVICE } from '../../../../electron/features/site/agent-config.js';
import { SITE_SCHEMA_VERSION } from '../../../../electron/features/site/schema.js';
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
  // planInstall adapts a win32 plan itself (Windows step kinds, the local SMB share).
  return planInstall({ settings, layout, nodeExecutable: nodeExe, repositoryHost: settings.database.host, spsetupEntry: 'C:\\Program Files\\spsetup\\bin\\spsetup.js' });
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
  // spsetup's site schema: created by its migration, then reported at its version.
  let siteSchema = false;
  const query = async (sql: string) => {
    if (sql.includes('INSERT INTO spsetup.schema_version')) siteSchema = true;
    if (sql.includes("to_regclass('spsetup.")) return siteSchema ? [{ t: 'spsetup.schema_version' }] : [{ t: null }];
    if (sql.includes('max(version)')) return [{ v: siteSchema ? SITE_SCHEMA_VERSION : null }];
    if (sql.includes('spsetup') || /^(BEGIN|COMMIT|ROLLBACK|SELECT pg_advisory)/.test(sql)) return [];
    return machine.bootstrapped ? [{ is_central: true }] : [];
  };
  const conn = { query, close: async () => undefined } as unknown as PgConnection;
  return { connect: async () => conn } as unknown as System['postgres'];
}

/**
 * C:\x -> <root>/C/x, \\server\share\x -> <root>/UNC/server/share/x; a share of this machine
 * (qlik1) -> the folder it shares, once it exists.
 */
function mapInto(root: string, machine?: FakeWindows): (p: string) => string {
  const map = (p: string): string => {
    if (!p.startsWith('\\\\')) return join(root, p[0]!, ...p.slice(3).split('\\').filter(Boolean));
    const [server = '', share = '', ...rest] = p.slice(2).split('\\');
    const local = /^qlik1(\.|$)/i.test(server) ? machine?.shares.get(share.toLowerCase()) : undefined;
    return local ? map([local.path, ...rest].join('\\')) : join(root, 'UNC', server, share, ...rest);
  };
  return map;
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

/** The secrets plus the site key the install made (random, so the golden file names it). */
function withSiteKey(secrets: ReadonlyMap<string, string>, machine: FakeWindows): ReadonlyMap<string, string> {
  const key = [...machine.protectedFiles].find(([path]) => path.endsWith('site.key'))?.[1];
  return key === undefined ? secrets : new Map([...secrets, ['site.key', key]]);
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
    const sys: System = { ...createWindowsSystem({ runner: machine.runner, elevated: true, files: { toFsPath: mapInto(root, machine) } }), postgres: fakePostgres(machine) };
    return { machine, sys };
  }

  function context(sys: System, secrets: ReadonlyMap<string, string>): StepContext<System> {
    return { sys, secret: (n) => secrets.get(n) ?? '', log: () => undefined, progress: () => undefined, signal: new AbortController().signal, stateDir: 'C:\\ProgramData\\spsetup' };
  }

  /** Checks, applies (unless nothing to do) and verifies every step, recording the calls of each phase; then checks them all again. */
  async function install(plan: PlanDraft, machine: FakeWindows, ctx: StepContext<System>) {
    const reg = registry();
    const log: { label: string; calls: RecordedCall[] }[] = [];
    const phase = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
      const from = machine.runner.calls.length;
      const result = await run();
      log.push({ label, calls: machine.runner.calls.slice(from) });
      return result;
    };
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
    return { log, again };
  }

  it('issues exactly the golden commands, passwords on stdin only, and a second check finds nothing to do', async () => {
    const settings = windowsSettings();
    const secrets = await resolveSecrets(settings, {});
    const plan = windowsPlan(settings);
    const { machine, sys } = setUp();

    expect(plan.steps.map((s) => s.kind)).not.toContain('os-account');
    expect(plan.steps.map((s) => s.kind)).not.toContain('windows-smb-share');
    expect(plan.secrets).toContain('serviceAccount.password');
    const { log, again } = await install(plan, machine, context(sys, secrets));
    expect(again).toEqual([]);

    const calls = machine.runner.calls;
    expectNotInArgv(calls, servicePassword);
    expectNotInArgv(calls, databasePassword);
    // The service password: on stdin once per service whose logon is set, nowhere else.
    // The node agent runs as LocalSystem (it stops and starts the others): no logon password.
    const serviceNames = [...machine.services.keys()].filter((n) => n !== NODE_AGENT_SERVICE);
    expect(serviceNames.length).toBeGreaterThan(3);
    expect([...machine.services.keys()]).toContain(NODE_AGENT_SERVICE);
    const withPassword = calls.filter((c) => c.input.includes(servicePassword));
    expect(withPassword).toHaveLength(serviceNames.length);
    for (const c of withPassword) expect(countOccurrences(c.input, servicePassword)).toBe(1);
    for (const name of serviceNames) expect(machine.services.get(name)?.account).toBe('DOMAIN\\qservice');
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

    await expect(renderGolden(log, withSiteKey(secrets, machine))).toMatchFileSnapshot('../../../fixtures/windows/golden/install-create-cluster.txt');
  });

  describe('with the share on this node (share.local, encrypted)', () => {
    const localShare = { root: '\\\\QLIK1\\QlikShare', local: { path: 'C:\\QlikShare', encrypt: true } };

    it('makes the folder and its encrypted SMB share before the sub folders, exactly as the golden file says, and a second check finds nothing to do', async () => {
      const settings = windowsSettings({ share: localShare });
      const secrets = await resolveSecrets(settings, {});
      const plan = windowsPlan(settings);
      const { machine, sys } = setUp();
      const ids = plan.steps.map((s) => s.id);
      expect(ids.slice(0, 4)).toEqual(['service-account', 'local-share-folder', 'local-share', 'share-folders']);
      expect(ids.filter((id) => id === 'local-share')).toHaveLength(1);

      const { log, again } = await install(plan, machine, context(sys, secrets));
      expect(again).toEqual([]);
      expectNotInArgv(machine.runner.calls, servicePassword);
      // What a person would check: Get-SmbShare, the folder's ACL, the sub folders inside the shared folder.
      expect(machine.shares.get('qlikshare')).toEqual({ path: 'C:\\QlikShare', encrypted: true, access: new Set(['Full\tbuiltin\\administrators', 'Change\tdomain\\qservice']) });
      expect(machine.acls.get('c:\\qlikshare')).toEqual(['QLIK1\\Qlik Sense Service Users:(OI)(CI)(M)']);
      expect(machine.acls.get('\\\\qlik1\\qlikshare\\apps')).toEqual(['DOMAIN\\qservice:(OI)(CI)(M)']);
      const files = await readdir(join(root, 'C', 'QlikShare'));
      expect(files.sort()).toEqual(['Apps', 'ArchivedLogs', 'CustomData', 'StaticContent']);
      // The product is configured with the UNC path the other nodes use.
      const config = plan.steps.find((s) => s.id === 'product-config')!.params as { content: string };
      expect(config.content).toContain('\\\\QLIK1\\QlikShare\\Apps');

      await expect(renderGolden(log, withSiteKey(secrets, machine))).toMatchFileSnapshot('../../../fixtures/windows/golden/install-local-share.txt');
    });

    it('refuses a share of that name on another folder, with nothing run after the read-only query', async () => {
      const settings = windowsSettings({ share: localShare });
      const plan = windowsPlan(settings);
      const { machine, sys } = setUp();
      machine.shares.set('qlikshare', { path: 'D:\\Other', encrypted: false, access: new Set(['Read\teveryone']) });
      const reg = registry();
      const ctx = context(sys, new Map());
      let failure: unknown;
      for (const step of plan.steps) {
        const kind = reg.get(step.kind);
        const from = machine.runner.calls.length;
        failure = await kind.check(kind.params.parse(step.params), ctx).then(() => undefined, (e: unknown) => e);
        if (failure === undefined) continue;
        expect(step.id).toBe('local-share');
        const calls = machine.runner.calls.slice(from);
        expect(calls).toHaveLength(1);
        expect(calls[0]!.script).toContain('Get-SmbShare');
        expect(calls[0]!.script).not.toMatch(/New-SmbShare|Set-SmbShare|Grant-SmbShareAccess|Remove-SmbShare/);
        expect(machine.runner.calls).toHaveLength(from + 1);
        break;
      }
      expect(failure).toBeInstanceOf(UserError);
      expect((failure as UserError).message).toBe('The SMB share QlikShare already exists for D:\\Other, not for C:\\QlikShare.');
      expect((failure as UserError).fix).toMatch(/never repoints a share/);
      expect(machine.shares.get('qlikshare')).toEqual({ path: 'D:\\Other', encrypted: false, access: new Set(['Read\teveryone']) });
      // The checks before it changed nothing either.
      expect(machine.runner.calls.some((c) => c.script !== undefined && /New-|Add-LocalGroupMember/.test(c.script))).toBe(false);
      expect(await readdir(root)).toEqual(['UNC']);
    });
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
    expect(() => planInstall({ settings, layout, nodeExecutable: nodeExe, databaseMediaDir: 'C:\\pg', repositoryHost: 'localhost', spsetupEntry: 'C:\\spsetup.js' })).toThrow(/not supported on Windows/);
  });

  it('grants an administrator service account itself (no local group is made for it)', () => {
    const plan = windowsPlan(windowsSettings({ serviceAccount: { user: 'DOMAIN\\qadmin', password: servicePassword, isAdministrator: true } }));
    const data = plan.steps.find((s) => s.id === 'data-folder')!.params as { grants: { principal: string }[] };
    expect(data.grants.map((g) => g.principal)).toEqual(['DOMAIN\\qadmin']);
    expect((plan.steps.find((s) => s.kind === 'windows-account')!.params as { groups: string[] }).groups).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { applySettings, computeIssues, deriveFields, hasOpenRange, initialForm, measurePassword, MIN_PASSWORD_SCORE, SCREEN_FIELDS, screensFor, toSettings } from '../../../renderer/src/lib/form.js';
import { parseSettings } from '../../../electron/shared/settings.js';
import type { EnvironmentInfo } from '../../../electron/shared/ipc.js';
import type { Form } from '../../../renderer/src/lib/form.js';

const env: EnvironmentInfo = {
  platform: 'linux',
  hostname: 'node1.example.test',
  elevated: false,
  products: [{ id: 'reference', displayName: 'Reference', version: '1.0.0' }],
  defaults: { installDir: '/opt/reference', dataDir: '/var/lib/reference', shareRoot: '/srv/share', serviceUser: 'spsvc' },
};

function filled() {
  const f = initialForm(env);
  f.licenceAccepted = true;
  f.dbPassword = f.dbPasswordConfirm = 'db-pass-1';
  f.superuserPassword = f.superuserPasswordConfirm = 'su-pass-1';
  return f;
}

describe('wizard form', () => {
  it('prefills from the environment and derives the sub folders', () => {
    const f = initialForm(env);
    expect(f.hostname).toBe('node1.example.test');
    expect(f.sub).toEqual({ apps: '/srv/share/Apps', archivedLogs: '/srv/share/ArchivedLogs', customData: '/srv/share/CustomData', staticContent: '/srv/share/StaticContent' });
  });

  it('produces settings the back end schema accepts', () => {
    const r = parseSettings(toSettings(filled()));
    expect(r.ok).toBe(true);
    expect(computeIssues(filled())).toEqual({});
  });

  it('flags typing errors on the right fields with the schema messages', () => {
    const f = filled();
    f.dbPort = '70000';
    f.dbPasswordConfirm = 'other';
    f.ipRanges = '10.0.0.0/99';
    f.hostname = 'bad host';
    const issues = computeIssues(f);
    expect(issues['database.port']).toBe('a port is 1..65535');
    expect(issues['database.passwordConfirm']).toMatch(/does not match/);
    expect(issues['database.listener.ipRanges']).toMatch(/^10\.0\.0\.0\/99: the prefix length/);
    expect(issues['hostname']).toMatch(/host name/);
    f.dbPort = 'abc';
    expect(computeIssues(f)['database.port']).toBe('a port is 1..65535');
  });

  it('requires passwords and the licence', () => {
    const f = initialForm(env);
    const issues = computeIssues(f);
    expect(issues['licence']).toBeDefined();
    expect(issues['database.password']).toBe('a password is required');
    expect(issues['database.superuserPassword']).toBeDefined();
  });

  it('keeps max connections at 100 x planned nodes until edited', () => {
    const f = filled();
    f.plannedNodes = '3';
    deriveFields(f);
    expect(f.maxConnections).toBe('300');
    f.maxConnections = '150';
    f.maxConnectionsEdited = true;
    expect(computeIssues(f)['database.listener.maxConnections']).toMatch(/at least 100 x planned nodes \(300\)/);
  });

  it('turns Start services off for the non-administrator account, as the guide says', () => {
    const f = filled();
    f.serviceIsAdministrator = false;
    deriveFields(f);
    expect(f.startServices).toBe(false);
  });

  it('lays out the screens in the guide order for each path', () => {
    expect(screensFor({ mode: 'create', dbInstall: 'local' })).toEqual(['welcome', 'cluster', 'database', 'listener', 'share', 'location', 'superuser', 'service', 'hostname', 'ready', 'installing', 'finished']);
    expect(screensFor({ mode: 'join', dbInstall: 'existing' })).toEqual(['welcome', 'cluster', 'database', 'share', 'location', 'service', 'hostname', 'ready', 'installing', 'finished']);
  });

  it('fills a join from an imported bundle, keeping this node host name', () => {
    const f = filled();
    applySettings(f, { cluster: { mode: 'join' }, database: { install: 'existing', host: 'central', port: 5000, password: 'from-bundle' }, share: { root: '//srv/s' }, hostname: 'central' } as never);
    expect([f.mode, f.dbInstall, f.dbHost, f.dbPort, f.dbPassword, f.dbPasswordConfirm]).toEqual(['join', 'existing', 'central', '5000', 'from-bundle', 'from-bundle']);
    expect(f.hostname).toBe('node1.example.test');
    expect(toSettings(f).database).not.toHaveProperty('listener');
  });

  it('keeps a verify-full bundle\'s encryption and CA through to the join settings (issue 15)', () => {
    const f = filled();
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    applySettings(f, { cluster: { mode: 'join' }, database: { install: 'existing', host: 'central', password: 'from-bundle', ssl: 'verify-full', tls: { ca } }, share: { root: '/srv/s' } } as never);
    expect(toSettings(f).database).toMatchObject({ ssl: 'verify-full', tls: { ca } });
    // Turned down to Require, the CA is not sent (only verify-full uses it).
    f.dbSsl = 'require';
    expect(toSettings(f).database).toMatchObject({ ssl: 'require' });
    expect(toSettings(f).database).not.toHaveProperty('tls');
    // A plain bundle leaves SSL off and names no CA.
    applySettings(f, { cluster: { mode: 'join' }, database: { install: 'existing', host: 'central', password: 'p' }, share: { root: '/srv/s' } } as never);
    expect(toSettings(f).database).not.toHaveProperty('ssl');
  });

  it('warns about open ranges', () => {
    expect(hasOpenRange('10.0.0.0/24, 0.0.0.0/0')).toBe(true);
    expect(hasOpenRange('10.0.0.0/24')).toBe(false);
  });
});

describe('IP ranges and listen addresses (issue 19 item 5)', () => {
  // The screen shows a field's own path; an issue on one entry of the list must land there.
  it.each([
    ['foo', /^foo is not an IP range: .*such as 10\.0\.0\.0\/24/],
    ['10.0.0.0/33', /^10\.0\.0\.0\/33: the prefix length after the \/ must be 0 to 32 .*such as 10\.0\.0\.0\/24/],
    ['10.0.0.5', /^10\.0\.0\.5 is one address, not a range: write 10\.0\.0\.5\/32/],
  ])('puts the issue of the range %j on the field the Listener screen shows', (range, message) => {
    const f = filled();
    f.ipRanges = `10.1.0.0/24, ${range}`;
    const issues = computeIssues(f);
    expect(issues['database.listener.ipRanges']).toMatch(message);
    expect(Object.keys(issues)).toEqual(['database.listener.ipRanges']);
    expect(SCREEN_FIELDS.listener).toContain('database.listener.ipRanges');
  });

  it('names every bad entry in one message', () => {
    const f = filled();
    f.ipRanges = 'foo, 10.0.0.0/24, 10.0.0.5';
    expect(computeIssues(f)['database.listener.ipRanges']).toMatch(/^foo is not an IP range: .*; 10\.0\.0\.5 is one address/);
  });

  it('names the bad listen address on its field', () => {
    const f = filled();
    f.listenAddresses = '*, db1!';
    expect(computeIssues(f)['database.listener.listenAddresses']).toBe('db1!: not a listen address: give *, a host name or an IP address');
  });
});

describe('folders must be absolute (issue 19 item 7)', () => {
  it.each([
    ['installDir', (f: Form) => (f.installDir = 'opt/reference'), 'must be an absolute path (starting with /), such as /opt/qlik-sense'],
    ['dataDir', (f: Form) => (f.dataDir = './data'), 'must be an absolute path (starting with /), such as /var/lib/qlik-sense'],
    ['share.root', (f: Form) => (f.shareRoot = 'share'), 'must be an absolute path (starting with /), such as /srv/qlikshare'],
    ['share.apps', (f: Form) => ((f.sub.apps = 'Apps'), (f.subEdited.apps = true)), 'must be an absolute path (starting with /), such as /srv/share/Apps'],
    ['installDir', (f: Form) => (f.installDir = '/opt/../etc'), 'must not contain "..": give the folder itself, such as /opt/qlik-sense'],
  ])('refuses %s with the reason and an example', (path, edit, message) => {
    const f = filled();
    edit(f);
    deriveFields(f);
    expect(computeIssues(f)[path]).toBe(message);
  });

  it('refuses a relative folder even while another field holds text where a number belongs', () => {
    // The schema's own path rule runs only once every field has its type; the wizard's does not wait.
    const f = filled();
    f.installDir = 'opt/reference';
    f.maxConnections = 'many';
    expect(computeIssues(f)['installDir']).toMatch(/^must be an absolute path/);
  });

  it('on Windows wants a drive letter or a network share', () => {
    const f = filled();
    f.platform = 'win32';
    f.servicePassword = f.servicePasswordConfirm = 'correct-horse-battery';
    f.installDir = '\\Program Files\\Ref';
    f.dataDir = 'C:\\ProgramData\\Ref';
    f.shareRoot = 'QlikShare';
    deriveFields(f);
    const issues = computeIssues(f);
    expect(issues['installDir']).toBe('must be a full path with its drive letter, such as C:\\Program Files\\Qlik\\Sense');
    expect(issues['dataDir']).toBeUndefined();
    expect(issues['share.root']).toBe('must be a full path: a network share or a folder with its drive letter, such as \\\\fileserver\\QlikShare');
    f.shareRoot = '\\\\fs1\\QlikShare';
    deriveFields(f);
    expect(computeIssues(f)['share.root']).toBeUndefined();
  });

  it('refuses a relative backup folder of a migration', () => {
    const f = filled();
    f.task = 'migrate';
    f.backupDir = 'backup';
    deriveFields(f);
    expect(computeIssues(f)['migration.backupDir']).toBe('must be an absolute path (starting with /), such as /var/backups/qlik-sense');
  });
});

describe('passwords the installer creates (issue 19)', () => {
  it('refuses weak local database passwords with the reason, on their own fields', () => {
    const f = filled();
    f.dbPassword = f.dbPasswordConfirm = 'abc';
    f.superuserPassword = f.superuserPasswordConfirm = '1';
    const issues = computeIssues(f);
    expect(issues['database.password']).toMatch(/^too weak \(very weak\): .*"abc"/);
    expect(issues['database.superuserPassword']).toMatch(/^too weak/);
  });

  it('counts the names typed elsewhere as known words', () => {
    const f = filled();
    f.dbPassword = f.dbPasswordConfirm = 'qliksenserepository';
    expect(computeIssues(f)['database.password']).toMatch(/^too weak/);
  });

  it('accepts a strong password and measures its strength', () => {
    const f = filled();
    f.dbPassword = f.dbPasswordConfirm = 'correct-horse-battery';
    expect(computeIssues(f)).toEqual({});
    expect(measurePassword('correct-horse-battery').score).toBeGreaterThanOrEqual(MIN_PASSWORD_SCORE);
    expect(measurePassword('abc').label).toBe('very weak');
  });

  it('checks passwords of existing accounts only for emptiness and control characters', () => {
    const f = filled();
    f.dbInstall = 'existing';
    f.dbHost = 'db.example.test';
    f.dbPassword = f.dbPasswordConfirm = 'abc';
    expect(computeIssues(f)['database.password']).toBeUndefined();
    f.dbPassword = f.dbPasswordConfirm = 'ab\nc';
    expect(computeIssues(f)['database.password']).toMatch(/line break/);
  });
});

describe('switching tasks (issue 19 item 1)', () => {
  it('going back from Migrate to Install restores the local database and the superuser screen', () => {
    const f = filled();
    expect(f.dbInstall).toBe('local');
    f.task = 'migrate';
    deriveFields(f);
    expect(f.dbInstall).toBe('existing');
    f.task = 'install';
    deriveFields(f);
    expect(f.dbInstall).toBe('local');
    expect(f.mode).toBe('create');
    expect(screensFor(f)).toContain('superuser');
    expect(toSettings(f).database?.host).toBe('localhost');
  });
});

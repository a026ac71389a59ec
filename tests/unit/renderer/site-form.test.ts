/** The wizard's Site task: its screens, the settings it sends, the operation its form describes, and a joining node's site key. */
import { describe, expect, it } from 'vitest';
import { applySettings, computeIssues, deriveFields, initialForm, screensFor, toSettings, toSiteSettings } from '../../../renderer/src/lib/form.js';
import { siteOperationIssues, toSiteOperation, type SiteOperationForm } from '../../../renderer/src/lib/site-form.js';
import { settingsSchema } from '../../../electron/shared/settings.js';

const blank = (over: Partial<SiteOperationForm> = {}): SiteOperationForm => ({
  kind: 'services',
  servicesAction: 'restart',
  host: '',
  port: '',
  sslMode: '',
  password: '',
  restart: true,
  folders: { root: '', apps: '', archivedLogs: '', customData: '', staticContent: '' },
  excluded: {},
  timeoutSeconds: '60',
  ...over,
});
const NODES = ['a', 'b', 'c'];

describe('the Site task', () => {
  it('is Welcome, Site database, Site; needs no licence, only the database password', () => {
    const f = initialForm();
    f.task = 'site';
    deriveFields(f);
    expect(screensFor(f)).toEqual(['welcome', 'site-access', 'site']);
    expect(computeIssues(f)['licence']).toBeUndefined();
    expect(computeIssues(f)['database.password']).toBe('a password is required');
    f.dbPassword = 'pw-1';
    expect(computeIssues(f)['database.password']).toBeUndefined();
  });

  it('sends settings that reach the database without a confirmation field or listener', () => {
    const f = initialForm();
    f.task = 'site';
    f.dbHost = '10.1.2.3';
    f.dbPassword = 'pw-1';
    f.shareRoot = '/srv/share';
    f.installDir = '/opt/x';
    f.dataDir = '/var/lib/x';
    f.serviceUser = 'svc';
    f.hostname = 'node1';
    f.stateDir = '/var/lib/spsetup';
    deriveFields(f);
    const s = toSiteSettings(f);
    expect(s.database).toEqual(expect.objectContaining({ install: 'existing', host: '10.1.2.3', password: 'pw-1' }));
    expect('passwordConfirm' in s.database).toBe(false);
    expect('listener' in s.database).toBe(false);
    expect(settingsSchema.safeParse(s).success).toBe(true);
  });
});

describe('the Site screen operation form', () => {
  it('services on every node: no node list, so new nodes are included', () => {
    expect(toSiteOperation(blank(), NODES)).toEqual({ action: { kind: 'services', action: 'restart' }, timeoutSeconds: 60 });
  });

  it('unticked nodes are left out; none ticked is an issue', () => {
    expect(toSiteOperation(blank({ excluded: { b: true } }), NODES)).toEqual(expect.objectContaining({ nodes: ['a', 'c'] }));
    expect(siteOperationIssues(toSiteOperation(blank({ excluded: { a: true, b: true, c: true } }), NODES))).toEqual(['choose at least one node']);
  });

  it('connection: only the fields typed; a port that is not a number is an issue', () => {
    expect(toSiteOperation(blank({ kind: 'connection', port: '5433', password: 'n3w', restart: false }), NODES)).toEqual({ action: { kind: 'connection', port: 5433, password: 'n3w', restart: false }, timeoutSeconds: 60 });
    expect(siteOperationIssues(toSiteOperation(blank({ kind: 'connection', port: '54x' }), NODES))).toEqual(['the port is a whole number from 1 to 65535']);
    expect(siteOperationIssues(toSiteOperation(blank({ kind: 'connection' }), NODES))).toEqual(['set at least one of host, port, SSL mode, password']);
  });

  it('folders: only the folders typed; a bad timeout is an issue', () => {
    expect(toSiteOperation(blank({ kind: 'folders', folders: { root: '', apps: '/s/Apps2', archivedLogs: '', customData: '', staticContent: '' } }), NODES)).toEqual({ action: { kind: 'folders', folders: { apps: '/s/Apps2' } }, timeoutSeconds: 60 });
    expect(siteOperationIssues(toSiteOperation(blank({ timeoutSeconds: 'soon' }), NODES))).toEqual([expect.stringMatching(/number|seconds/)]);
  });
});

describe('a joining node\'s site key from a bundle', () => {
  it('is kept in the form and sent with the join settings, never for a create', () => {
    const f = initialForm();
    applySettings(f, { cluster: { mode: 'join', id: 'c1', siteKey: 'K'.repeat(43) } } as unknown as Parameters<typeof applySettings>[1]);
    expect(f.siteKey).toBe('K'.repeat(43));
    expect(toSettings(f).cluster).toEqual({ mode: 'join', id: 'c1', siteKey: 'K'.repeat(43) });
    f.mode = 'create';
    expect(toSettings(f).cluster).toEqual({ mode: 'create' });
  });
});

/** The site operation use cases' pure part: requests checked before anything connects, and the plan shown before a run. */
import { describe, expect, it } from 'vitest';
import { parseSiteOperationInput, planOf } from '../../../electron/app/site-operations.js';
import { settingsSchema } from '../../../electron/shared/settings.js';
import { maskConnection, type SiteStatus } from '../../../electron/shared/site.js';
import { parseConnectionString } from '../../../electron/shared/connection-string.js';
import { getManifest } from '../../../electron/product/index.js';
import { renderSitePlan } from '../../../electron/cli/render.js';
import { centralInput } from '../features/bundle/sample-settings.js';
import { makeCa } from '../../../electron/system/tls/index.js';

const settings = settingsSchema.parse(centralInput());
const SERVICES = getManifest('reference').services.map((s) => s.name);
const node = (hostname: string, isCentral: boolean, reachable = true) => ({
  hostname,
  isCentral,
  spsetupVersion: '0.1.0',
  product: 'reference',
  productVersion: '1.0.0',
  endpoint: 'db:4432',
  services: SERVICES.map((name) => ({ name, state: 'running' })),
  heartbeatAgeMs: reachable ? 1_000 : 120_000,
  reachable,
  registered: null,
});
const status: SiteStatus = { database: 'QSR on db:4432', nodes: [node('a', true), node('b', false), node('c', false, false)] };

describe('site operation requests', () => {
  it.each([
    [{ action: { kind: 'services', action: 'reboot' } }, /services takes stop, start or restart/],
    [{ action: { kind: 'connection', restart: true } }, /set at least one of host, port, SSL mode, password/],
    [{ action: { kind: 'connection', port: 70000 } }, /port is a whole number from 1 to 65535/],
    [{ action: { kind: 'connection', sslMode: 'Sometimes' } }, /SSL mode is one of Disable/],
    [{ action: { kind: 'connection', password: 'a\nb' } }, /password must not hold NUL, CR or LF/],
    [{ action: { kind: 'folders', folders: {} } }, /set at least one folder/],
    [{ action: { kind: 'folders', folders: { apps: '  ' } } }, /a folder must not be empty/],
    [{ action: { kind: 'folders', folders: { apps: 'x\u0007' } } }, /control characters/],
    [{ action: { kind: 'services', action: 'stop' }, timeoutSeconds: 0 }, /timeout is 1 to 3600 seconds/],
    [{ action: { kind: 'services', action: 'stop' }, nodes: [''] }, /node name is empty/],
  ])('refuses %j with a message naming the problem', (raw, message) => {
    expect(() => parseSiteOperationInput(raw)).toThrow(message);
  });

  it('never echoes a password it refuses', () => {
    let text = '';
    try {
      parseSiteOperationInput({ action: { kind: 'connection', password: 'Top\nSecret' } });
    } catch (err) {
      text = JSON.stringify(err) + String(err);
    }
    expect(text).toMatch(/password/);
    expect(text).not.toContain('Secret');
  });
});

describe('the plan of a site operation', () => {
  it('services restart: every node stops in reverse manifest order, then starts in order; a silent node is warned about', () => {
    const plan = planOf(settings, status, parseSiteOperationInput({ action: { kind: 'services', action: 'restart' }, timeoutSeconds: 30 }));
    expect(plan.nodes.map((n) => n.hostname)).toEqual(['a', 'b', 'c']);
    expect(plan.nodes[0]!.steps).toEqual([...[...SERVICES].reverse().map((s) => `stop ${s}`), ...SERVICES.map((s) => `start ${s} and wait until it is ready`)]);
    expect(plan.timeoutMs).toBe(30_000);
    expect(plan.warnings).toEqual([expect.stringMatching(/^c has sent no heartbeat for 2m 00s/)]);
  });

  it('only the named nodes; an unknown node is refused naming the known ones', () => {
    const plan = planOf(settings, status, parseSiteOperationInput({ action: { kind: 'services', action: 'stop' }, nodes: ['b'] }));
    expect(plan.nodes.map((n) => n.hostname)).toEqual(['b']);
    expect(plan.warnings).toEqual([]);
    expect(() => planOf(settings, status, parseSiteOperationInput({ action: { kind: 'services', action: 'stop' }, nodes: ['b', 'zz'] }))).toThrow(/Unknown node: zz/);
  });

  it('a password change shows the role change first and never the password', () => {
    const plan = planOf(settings, status, parseSiteOperationInput({ action: { kind: 'connection', password: 'N3w-Secret!', port: 5433 } }));
    expect(plan.before).toEqual([expect.stringContaining('change the password of the database role qliksenserepository')]);
    expect(plan.nodes[1]!.steps[0]).toBe("set Port=5433, Password=******** (sealed with the site key) in the node's connection string (XML escapes written as the product reads them)");
    expect(JSON.stringify(plan)).not.toContain('N3w-Secret');
    expect(renderSitePlan(plan)).not.toContain('N3w-Secret');
  });

  it('verify-full for a running site: the CA is written on each node before its string names it; a request whose CA is not a PEM certificate is refused', async () => {
    const ca = await makeCa({ commonName: 'spsetup site CA test', validDays: 30 });
    const plan = planOf(settings, status, parseSiteOperationInput({ action: { kind: 'connection', sslMode: 'VerifyFull', rootCertificate: ca.certPem } }));
    expect(plan.nodes[0]!.steps.slice(0, 2)).toEqual([
      'write the CA the node verifies the server with (CN=spsetup site CA test) to database-ca.pem in its data folder',
      "set Ssl Mode=VerifyFull, Root Certificate=<the node's data folder>/database-ca.pem in the node's connection string (XML escapes written as the product reads them)",
    ]);
    expect(() => parseSiteOperationInput({ action: { kind: 'connection', sslMode: 'VerifyFull', rootCertificate: 'not a certificate' } })).toThrow(/the root certificate is a PEM certificate/);
  });

  it('the id follows what the plan shows: another node or value gives another id, another password the same', () => {
    const id = (raw: unknown, s: SiteStatus = status) => planOf(settings, s, parseSiteOperationInput(raw)).id;
    const base = { action: { kind: 'folders', folders: { apps: '/share/Apps2' } } };
    expect(id(base)).toBe(id(base));
    expect(id({ action: { kind: 'folders', folders: { apps: '/share/Apps3' } } })).not.toBe(id(base));
    expect(id(base, { ...status, nodes: [...status.nodes, node('d', false)] })).not.toBe(id(base));
    expect(id({ action: { kind: 'connection', password: 'one-password' } })).toBe(id({ action: { kind: 'connection', password: 'another-one' } }));
  });

  it('no node has reported: nothing to send to', () => {
    expect(() => planOf(settings, { ...status, nodes: [] }, parseSiteOperationInput({ action: { kind: 'services', action: 'start' } }))).toThrow(/No node agent has reported/);
  });

  it('the terminal view has no bracket, so --json output after it is found by its first "["', () => {
    const text = renderSitePlan(planOf(settings, status, parseSiteOperationInput({ action: { kind: 'folders', folders: { apps: '/share/Apps2', root: '/share' } } })));
    expect(text).not.toContain('[');
    expect(text).toContain('a (central):');
    expect(text).toContain('set apps to /share/Apps2 in the product configuration');
  });
});

describe('a connection string as site operations show it', () => {
  it('keeps every field but the password, which is only said to be set (and whether it holds XML escapes)', () => {
    const f = parseConnectionString("User ID=qliksenserepository;Host=db.example.test;Password='p&amp;ss-Secret';Port=4432;Database=QSR;Ssl Mode=Require;");
    const masked = maskConnection(f);
    expect(masked).toEqual({ userId: 'qliksenserepository', host: 'db.example.test', port: 4432, database: 'QSR', sslMode: 'Require', passwordSet: true, xmlEscaped: true });
    expect(JSON.stringify(masked)).not.toContain('Secret');
    expect(maskConnection(parseConnectionString("User ID=u;Host=h;Password='';Port=1;Database=d;")).passwordSet).toBe(false);
  });
});

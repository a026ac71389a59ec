/**
 * Issue 18: the qlik-sense manifest's monitoring-apps step against a test server that replays a
 * Qlik Sense repository API's answers (tests/fixtures/qrs/qlik-sense-monitoring-replay.json,
 * written from the vendor's API reference, not captured from a real server). Golden: the exact
 * requests the real API would get (paths, filters, xrfkey parameter equal to the header, the
 * X-Qlik-User header, the client certificate, the PUT bodies with the modifiedDate read).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitoringAppsStep } from '../../electron/features/registration/monitoring-step.js';
import { qlikSenseManifest } from '../../electron/product/qlik-sense.js';
import { joinPath } from '../../electron/shared/settings.js';
import { createPosixSystem } from '../../electron/system/system.js';
import { issueServerCert, makeCa } from '../../electron/system/tls/index.js';
import { startQrsReplay, type RecordedRequest, type ReplayResponse } from '../support/qrs-replay.js';
import { createTempDir, type TempDir } from '../support/temp.js';

const fixture = resolve(import.meta.dirname, '../fixtures/qrs/qlik-sense-monitoring-replay.json');
const spec = qlikSenseManifest.registration!;
const SHARE = '\\\\fileserver\\QlikShare\\ArchivedLogs';
let tmp: TempDir;
let replay: Awaited<ReturnType<typeof startQrsReplay>>;
let responses: ReplayResponse[];

beforeAll(async () => {
  tmp = await createTempDir('spqrsreplay-');
  const ca = await makeCa({ commonName: 'replay CA', validDays: 2 });
  const server = await issueServerCert({ ca, names: ['127.0.0.1'], validDays: 2 });
  // The central node's exported certificates, where the qlik-sense manifest says they are.
  const dir = joinPath('linux', tmp.path, spec.certificates.dir);
  await mkdir(dir, { recursive: true });
  await writeFile(joinPath('linux', dir, spec.certificates.root), ca.certPem);
  await writeFile(joinPath('linux', dir, spec.certificates.clientCert), server.certPem);
  await writeFile(joinPath('linux', dir, spec.certificates.clientKey), server.keyPem, { mode: 0o600 });
  responses = (JSON.parse(await readFile(fixture, 'utf8')) as { responses: ReplayResponse[] }).responses;
  replay = await startQrsReplay(responses, { key: server.keyPem, cert: server.certPem, ca: ca.certPem });
});

afterAll(async () => {
  await replay?.close();
  await tmp?.cleanup();
});

const without = (r: RecordedRequest) => `${r.method} ${decodeURIComponent(r.path.replace(/[?&]xrfkey=[A-Za-z0-9]{16}$/, ''))}`;

describe('qlik-sense monitoring apps against a replayed repository API', () => {
  it('plans, then sends exactly the real API requests', async () => {
    const sys = createPosixSystem();
    const params = monitoringAppsStep.params.parse({ hostname: '127.0.0.1', dataDir: tmp.path, registration: { ...spec, apiPort: replay.port }, archivedLogs: SHARE });
    const logged: string[] = [];
    const ctx = { sys, stateDir: tmp.path, signal: new AbortController().signal, secret: () => '', log: (m: string) => void logged.push(m), progress: () => undefined };
    const check = await monitoringAppsStep.check(params, ctx);
    expect(check.action).toBe('update');
    expect(check.summary).toContain(`data connection ArchivedLogsFolder: C:\\ProgramData\\Qlik\\Sense\\Repository\\Archived Logs\\ -> ${SHARE}`);
    const reads = replay.requests.length;
    await monitoringAppsStep.apply(params, ctx);
    const sent = replay.requests.slice(reads);
    const rule = "Shared persistence: App_* on non-central nodes";
    const finds = ["GET /qrs/dataconnection?filter=name eq 'ArchivedLogsFolder'", "GET /qrs/dataconnection?filter=name eq 'monitor_apps_REST_app'", "GET /qrs/dataconnection?filter=name eq 'monitor_apps_REST_task'", "GET /qrs/systemrule?filter=name eq 'ResourcesOnNonCentralNodes'", `GET /qrs/systemrule?filter=name eq '${rule}'`];
    const ids = { arch: 'b3b5e2f0-6f5e-4c0b-9f3a-1d2e3f405161', app: 'c4c6f301-7a6f-4d1c-8a4b-2e3f40516272', task: 'd5d70412-8b70-4e2d-9b5c-3f4051627383', rule: 'e6e81523-9c81-4f3e-8c6d-405162738494' };
    expect(sent.map(without)).toEqual([
      ...finds,
      `GET /qrs/dataconnection/${ids.arch}`, `PUT /qrs/dataconnection/${ids.arch}`,
      `GET /qrs/dataconnection/${ids.app}`, `PUT /qrs/dataconnection/${ids.app}`,
      `GET /qrs/dataconnection/${ids.task}`, `PUT /qrs/dataconnection/${ids.task}`,
      `GET /qrs/systemrule/${ids.rule}`, `PUT /qrs/systemrule/${ids.rule}`,
      'POST /qrs/systemrule',
    ]);
    for (const r of [...replay.requests]) {
      expect(r.answered, without(r)).toBeLessThan(300);
      expect(r.xrfkeyMatches, without(r)).toBe(true);
      expect(r.clientCertificate, without(r)).toBe(true);
      expect(r.headers['x-qlik-user']).toBe('UserDirectory=INTERNAL; UserId=sa_api');
      expect(r.path).toMatch(/[?&]xrfkey=[A-Za-z0-9]{16}$/);
    }
    // Each call has its own xrfkey.
    expect(new Set(sent.map((r) => r.headers['x-qlik-xrfkey'])).size).toBe(sent.length);
    // A PUT sends the whole object read, with its modifiedDate, and only the guide's value changed.
    const body = (i: number) => JSON.parse(sent[i]!.body) as Record<string, unknown>;
    const archived = responses.find((r) => r.method === 'GET' && r.path === `/qrs/dataconnection/${ids.arch}`)!.body as Record<string, unknown>;
    expect(body(finds.length + 1)).toEqual({ ...archived, connectionstring: SHARE });
    const app = body(finds.length + 3);
    expect(String(app['connectionstring'])).toContain('url=https://127.0.0.1/qrs/app/full;');
    expect(app['modifiedDate']).toBe('2024-05-02T09:14:11.532Z');
    const defaultRule = responses.find((r) => r.method === 'GET' && r.path === `/qrs/systemrule/${ids.rule}`)!.body as Record<string, unknown>;
    expect(body(finds.length + 7)).toEqual({ ...defaultRule, disabled: true });
    expect(body(finds.length + 8)).toEqual({ name: rule, category: 'Sync', type: 'Custom', resourceFilter: 'App_*', actions: 1, rule: '((node.isCentral = "false"))', ruleContext: 'BothQlikSenseAndQMC', disabled: false, comment: 'Made by spsetup (the shared persistence guide)' });
    expect(sent.filter((r) => r.body !== '').every((r) => r.headers['content-type'] === 'application/json')).toBe(true);
  });
});

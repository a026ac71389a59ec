/**
 * Golden test of the repository API requests against the real product (qlik-sense manifest),
 * written by hand from the vendor's API reference (paths, the xrfkey parameter equal to the
 * X-Qlik-Xrfkey header, X-Qlik-User): not recorded from a real server.
 */
import { describe, expect, it } from 'vitest';
import { qlikSenseManifest } from '../../../../electron/product/qlik-sense.js';
import { referenceManifest } from '../../../../electron/product/reference/manifest.js';
import { certificateSetupRequest, qrsRequests } from '../../../../electron/features/registration/qrs-requests.js';
import { newXrfkey } from '../../../../electron/features/registration/qrs-client.js';

const X = 'abcdefghij123456';
const spec = qlikSenseManifest.registration!;
const r = qrsRequests(spec);
const get = { 'X-Qlik-Xrfkey': X, 'X-Qlik-User': 'UserDirectory=INTERNAL; UserId=sa_api', Accept: 'application/json' };
const withBody = { ...get, 'Content-Type': 'application/json' };

describe('repository API requests (qlik-sense)', () => {
  it('uses the real ports and the exported client certificate', () => {
    expect(spec).toEqual({
      apiPort: 4242,
      distributionPort: 4444,
      certificateSetupPort: 4570,
      apiUser: 'UserDirectory=INTERNAL; UserId=sa_api',
      certificates: { dir: 'Repository\\Exported Certificates\\.Local Certificates', clientCert: 'client.pem', clientKey: 'client_key.pem', root: 'root.pem' },
    });
  });

  it('finds, creates and registers a node', () => {
    expect(r.findNode(X, 'rim1.example.com')).toEqual({ method: 'GET', path: `/qrs/serverNodeConfiguration?filter=hostName%20eq%20%27rim1.example.com%27&xrfkey=${X}`, headers: get });
    expect(r.createNode(X, 'rim1.example.com')).toEqual({
      method: 'POST',
      path: `/qrs/serverNodeConfiguration/container?xrfkey=${X}`,
      headers: withBody,
      body: '{"configuration":{"name":"rim1.example.com","hostName":"rim1.example.com","engineEnabled":true,"proxyEnabled":true,"schedulerEnabled":true,"printingEnabled":true}}',
    });
    expect(r.startRegistration(X, '8d5a1f7e-0000-4000-8000-000000000001')).toEqual({ method: 'POST', path: `/qrs/serverNodeRegistration/start/8d5a1f7e-0000-4000-8000-000000000001?xrfkey=${X}`, headers: get });
  });

  it('reads and replaces data connections and system rules', () => {
    expect(r.findDataConnection(X, 'ArchivedLogsFolder').path).toBe(`/qrs/dataconnection?filter=name%20eq%20%27ArchivedLogsFolder%27&xrfkey=${X}`);
    const conn = { id: 'c1', name: 'ArchivedLogsFolder', connectionstring: '\\\\srv\\QlikShare\\ArchivedLogs', modifiedDate: '2024-01-02T03:04:05.678Z' };
    expect(r.putDataConnection(X, conn)).toEqual({ method: 'PUT', path: `/qrs/dataconnection/c1?xrfkey=${X}`, headers: withBody, body: JSON.stringify(conn) });
    expect(r.findRule(X, "it's").path).toBe(`/qrs/systemrule?filter=name%20eq%20%27it%27%27s%27&xrfkey=${X}`);
    expect(r.createRule(X, { name: 'n', resourceFilter: 'App_*' })).toEqual({ method: 'POST', path: `/qrs/systemrule?xrfkey=${X}`, headers: withBody, body: '{"name":"n","resourceFilter":"App_*"}' });
    expect(r.putRule(X, { id: 'r1', disabled: true, modifiedDate: 'd' }).path).toBe(`/qrs/systemrule/r1?xrfkey=${X}`);
    expect(r.deleteRule(X, 'r1')).toEqual({ method: 'DELETE', path: `/qrs/systemrule/r1?xrfkey=${X}`, headers: get });
  });

  it('the certificate set-up gets the password on 127.0.0.1 only', () => {
    expect(certificateSetupRequest(spec, 'pw')).toEqual({ url: 'http://127.0.0.1:4570/certificateSetup', method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"password":"pw"}' });
  });

  it('refuses an xrfkey that is not 16 letters or digits; new keys are', () => {
    expect(() => r.findNode('short', 'x')).toThrow(/16 letters or digits/);
    expect(() => r.findNode('abcdefghij12345&', 'x')).toThrow(/16 letters or digits/);
    const keys = new Set(Array.from({ length: 50 }, newXrfkey));
    expect(keys.size).toBe(50);
    for (const k of keys) expect(k).toMatch(/^[A-Za-z0-9]{16}$/);
  });

  it('the reference product makes the same calls on its own ports', () => {
    expect(referenceManifest.registration).toMatchObject({ apiPort: 24342, distributionPort: 24444, certificateSetupPort: 24570 });
    expect(qrsRequests(referenceManifest.registration!).findNode(X, 'h').path).toBe(r.findNode(X, 'h').path);
  });
});

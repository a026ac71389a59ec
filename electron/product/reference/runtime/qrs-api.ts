/**
 * The central node's repository API, in the real one's shape: HTTPS where the client shows a
 * certificate of the site CA, `xrfkey` query parameter equal to the X-Qlik-Xrfkey header, an
 * X-Qlik-User header, case-insensitive paths under /qrs. What the installer calls:
 *   GET  /qrs/serverNodeConfiguration[?filter=hostName eq 'x'], GET .../{id}
 *   POST /qrs/serverNodeConfiguration/container        { configuration: { name, hostName, ... } }
 *   POST /qrs/serverNodeRegistration/start/{id}         -> the one-time password (a JSON string)
 *   GET  /qrs/dataconnection[?filter=...], GET/PUT .../{id}     (PUT checks modifiedDate)
 *   GET  /qrs/systemrule[?filter=...], POST, GET/PUT/DELETE .../{id}
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import { issueNodeCertificate, type CertificateSet } from './certificates.js';
import { newRegistrationPassword, sealCertificateSet } from './certificate-seal.js';
import { createObject, deleteObject, getObject, licenceSerial, listObjects, parseFilter, QrsError, RESOURCES, storeRegistration, updateObject, type ResourceName } from './qrs-store.js';

/** How long a started registration's password can be redeemed. */
export const REGISTRATION_VALID_MS = 15 * 60_000;
const XRFKEY = /^[A-Za-z0-9]{16}$/;
const MAX_BODY = 1 << 20;

export interface QrsApiOptions {
  readonly port: number;
  readonly host: string;
  /** The central node's certificate set (with the CA key, to issue node certificates). */
  readonly certificates: CertificateSet;
  readonly db: pg.Pool;
  readonly log: (line: string) => void;
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new QrsError(413, 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const value: unknown = text === '' ? {} : JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new QrsError(400, 'The body is not a JSON object');
  }
}

/** The resource named by a path segment (case-insensitive, as the real API). */
function resourceOf(segment: string | undefined): ResourceName | undefined {
  return (Object.keys(RESOURCES) as ResourceName[]).find((r) => r.toLowerCase() === segment?.toLowerCase());
}

/** Handles one request; throws QrsError for the client's mistakes. */
async function route(req: IncomingMessage, res: ServerResponse, opts: QrsApiOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://qrs');
  const xrf = url.searchParams.get('xrfkey');
  const header = req.headers['x-qlik-xrfkey'];
  if (xrf === null || !XRFKEY.test(xrf) || header !== xrf) throw new QrsError(403, 'XSRF prevention check failed: the xrfkey parameter and the X-Qlik-Xrfkey header must be the same 16 characters');
  if (typeof req.headers['x-qlik-user'] !== 'string' || !/UserId=/i.test(req.headers['x-qlik-user'])) throw new QrsError(403, 'The X-Qlik-User header is missing');
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts[0]?.toLowerCase() !== 'qrs') throw new QrsError(404, 'Not found');
  const method = req.method ?? 'GET';
  const [, first, second, third] = parts;

  if (first?.toLowerCase() === 'servernoderegistration' && second?.toLowerCase() === 'start' && third && method === 'POST' && parts.length === 4) {
    const node = await getObject(opts.db, RESOURCES.serverNodeConfiguration, third);
    if (node['isCentral'] === true) throw new QrsError(400, 'The central node is registered by its own bootstrap');
    const hostname = String(node['hostName']);
    const password = newRegistrationPassword();
    const set = await issueNodeCertificate({ rootPem: opts.certificates.rootPem, rootKeyPem: opts.certificates.rootKeyPem! }, hostname);
    await storeRegistration(opts.db, third, sealCertificateSet(set, password, hostname), REGISTRATION_VALID_MS);
    opts.log(`Registration of node ${hostname} started (certificates issued; the password is valid for ${REGISTRATION_VALID_MS / 60_000} minutes)`);
    send(res, 200, password);
    return;
  }

  const name = resourceOf(first);
  if (!name) throw new QrsError(404, `Unknown resource ${first ?? ''}`);
  const resource = RESOURCES[name];
  if (name === 'serverNodeConfiguration' && second?.toLowerCase() === 'container' && parts.length === 3) {
    if (method !== 'POST') throw new QrsError(405, 'Method not allowed');
    const body = await readJson(req);
    const configuration = body['configuration'];
    if (typeof configuration !== 'object' || configuration === null) throw new QrsError(400, 'The container needs a configuration object');
    const c = configuration as Record<string, unknown>;
    if (typeof c['hostName'] !== 'string' || c['hostName'] === '') throw new QrsError(400, 'configuration.hostName is required');
    const created = await createObject(opts.db, resource, { name: c['hostName'], ...c });
    opts.log(`Server node configuration ${String(created['hostName'])} created (${String(created['id'])})`);
    send(res, 201, created);
    return;
  }
  if (name === 'license') {
    // At most one licence: GET answers it (204 when none), POST adds one from a signed key, PUT replaces its key.
    if (parts.length === 2 && method === 'GET') {
      const [licence] = await listObjects(opts.db, resource, []);
      return licence ? send(res, 200, licence) : send(res, 204);
    }
    if (parts.length === 2 && method === 'POST') {
      if ((await listObjects(opts.db, resource, [])).length) throw new QrsError(409, 'The site has a license: update it instead');
      const body = await readJson(req);
      const created = await createObject(opts.db, resource, { key: body['key'], serial: licenceSerial(body['key']) });
      opts.log(`License ${String(created['serial'])} added`);
      return send(res, 201, created);
    }
    if (parts.length === 3 && second && method === 'PUT') {
      const body = await readJson(req);
      return send(res, 200, await updateObject(opts.db, resource, second, { ...body, serial: licenceSerial(body['key']) }));
    }
  }
  if (parts.length === 2) {
    if (method === 'GET') {
      const filter = url.searchParams.get('filter');
      send(res, 200, await listObjects(opts.db, resource, filter ? parseFilter(resource, filter) : []));
      return;
    }
    if (method === 'POST' && name === 'systemrule') {
      send(res, 201, await createObject(opts.db, resource, await readJson(req)));
      return;
    }
    throw new QrsError(405, 'Method not allowed');
  }
  if (parts.length === 3 && second) {
    if (method === 'GET') return send(res, 200, await getObject(opts.db, resource, second));
    if (method === 'PUT' && name !== 'serverNodeConfiguration') return send(res, 200, await updateObject(opts.db, resource, second, await readJson(req)));
    if (method === 'DELETE' && name === 'systemrule') {
      await deleteObject(opts.db, resource, second);
      return send(res, 204);
    }
    throw new QrsError(405, 'Method not allowed');
  }
  throw new QrsError(404, 'Not found');
}

/** Starts the HTTPS API; resolves once it listens (rejects when the port is in use). */
export function startQrsApi(opts: QrsApiOptions): Promise<Server> {
  const server = createServer(
    { key: opts.certificates.serverKeyPem, cert: opts.certificates.serverPem, ca: opts.certificates.rootPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    (req, res) => {
      route(req, res, opts).catch((err: unknown) => {
        if (err instanceof QrsError) send(res, err.status, { error: err.message });
        else {
          opts.log(`repository API: ${req.method ?? ''} ${(req.url ?? '').split('?')[0] ?? ''} failed: ${(err as Error).message}`);
          send(res, 500, { error: 'internal error' });
        }
      });
    },
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * The certificate hand-over between nodes, as the real product's ports 4444 and 4570:
 * - distribution (central node, every address): GET /registration/salt?hostName=H gives the salt of
 *   H's open registration; POST /registration/certificates { hostName, proof } gives the sealed set
 *   once (410 after that or once expired, 403 for a wrong proof).
 * - certificate set-up (rim node, 127.0.0.1 only): POST /certificateSetup { password } fetches the
 *   set from the central node, checks it and installs it; GET /certificateSetup tells whether this
 *   node is registered.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type pg from 'pg';
import { certificatesInstalled, checkCertificateSet, writeCertificateSet } from './certificates.js';
import { deriveRegistrationKey, openCertificateSet, proofMatches, redeemProof } from './certificate-seal.js';
import { redeemRegistration, registrationSalt } from './qrs-store.js';

const MAX_BODY = 64 * 1024;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function listen(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** The central node's distribution endpoint. */
export function startDistribution(opts: { port: number; host: string; db: pg.Pool; log: (line: string) => void }): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://distribution');
      if (req.method === 'GET' && url.pathname === '/registration/salt') {
        const host = url.searchParams.get('hostName') ?? '';
        const salt = host === '' ? undefined : await registrationSalt(opts.db, host);
        return salt === undefined ? send(res, 404, { error: `No open registration for ${host}` }) : send(res, 200, { salt });
      }
      if (req.method === 'POST' && url.pathname === '/registration/certificates') {
        const body = await readJson(req);
        const host = typeof body?.['hostName'] === 'string' ? body['hostName'] : '';
        const proof = typeof body?.['proof'] === 'string' ? body['proof'] : '';
        if (host === '' || proof === '') return send(res, 400, { error: 'hostName and proof are required' });
        const outcome = await redeemRegistration(opts.db, host, (expected) => proofMatches(expected, proof));
        if ('sealed' in outcome) {
          opts.log(`Certificates distributed to node ${host}`);
          return send(res, 200, { sealed: outcome.sealed });
        }
        const why = { 404: `No registration for ${host}`, 403: 'Wrong password', 410: `The registration of ${host} was already redeemed or has expired; start it again` }[outcome.refused];
        opts.log(`Certificate request for ${host} refused: ${why}`);
        return send(res, outcome.refused, { error: why });
      }
      send(res, 404, { error: 'not found' });
    })().catch((err: unknown) => {
      opts.log(`distribution: ${(err as Error).message}`);
      send(res, 500, { error: 'internal error' });
    });
  });
  return listen(server, opts.port, opts.host);
}

function httpJson(method: 'GET' | 'POST', host: string, port: number, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host, port, path, method, timeout: 10_000, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let parsed: Record<string, unknown> = {};
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          // Left empty: the status says what went wrong.
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host}:${port} within 10 s`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** Fetches, checks and installs this node's certificate set with the one-time password. */
export async function redeemCertificates(opts: { hostname: string; dataDir: string; central: string; distributionPort: number; password: string }): Promise<void> {
  const { hostname, central, distributionPort: port } = opts;
  const salt = await httpJson('GET', central, port, `/registration/salt?hostName=${encodeURIComponent(hostname)}`);
  if (salt.status !== 200 || typeof salt.body['salt'] !== 'string') throw new SetupError(409, `The central node ${central} has no open registration for ${hostname} (${salt.status})`);
  const key = deriveRegistrationKey(opts.password, Buffer.from(salt.body['salt'], 'base64url'));
  const got = await httpJson('POST', central, port, '/registration/certificates', { hostName: hostname, proof: redeemProof(key, hostname) });
  if (got.status !== 200 || typeof got.body['sealed'] !== 'string') throw new SetupError(got.status === 403 ? 403 : 409, `The central node ${central} refused the certificates: ${String(got.body['error'] ?? got.status)}`);
  const set = openCertificateSet(got.body['sealed'], key, hostname);
  checkCertificateSet(set);
  await writeCertificateSet(opts.dataDir, set);
}

/** A refusal of the set-up endpoint, with its HTTP status. */
export class SetupError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The rim node's certificate set-up endpoint (bind it to 127.0.0.1 only). */
export function startCertificateSetup(opts: {
  port: number;
  hostname: string;
  dataDir: string;
  distributionPort: number;
  /** The central node's host name, read when a password arrives. */
  central: () => Promise<string | undefined>;
  log: (line: string) => void;
}): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://setup');
      if (url.pathname !== '/certificateSetup') return send(res, 404, { error: 'not found' });
      if (req.method === 'GET') return send(res, 200, { registered: certificatesInstalled(opts.dataDir) });
      if (req.method !== 'POST') return send(res, 405, { error: 'method not allowed' });
      const body = await readJson(req);
      const password = typeof body?.['password'] === 'string' ? body['password'] : '';
      if (password === '') return send(res, 400, { error: 'password is required' });
      const central = await opts.central();
      if (central === undefined) return send(res, 409, { error: 'The repository database names no central node' });
      await redeemCertificates({ hostname: opts.hostname, dataDir: opts.dataDir, central, distributionPort: opts.distributionPort, password });
      opts.log(`Certificates from the central node ${central} installed; this node is registered`);
      send(res, 200, { registered: true });
    })().catch((err: unknown) => {
      const status = err instanceof SetupError ? err.status : 502;
      opts.log(`certificate set-up failed: ${(err as Error).message}`);
      send(res, status, { error: (err as Error).message });
    });
  });
  return listen(server, opts.port, '127.0.0.1');
}

/**
 * Browser mode (`spsetup ui`): the same renderer and the same contract over loopback HTTP. No
 * Electron import. Every API request carries the session token in a header; the page receives it
 * once in its URL. The Host header is checked against our own loopback address (DNS rebinding).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorInfoOf, invokeBackend, isInstallerMethod, parseRequest, TOKEN_HEADER } from '../shared/ipc.js';
import type { InstallerBackend, Reply } from '../shared/ipc.js';
import type { ProgressEvent } from '../shared/plan.js';
import { UserError } from '../shared/errors.js';
import { CONTENT_SECURITY_POLICY } from './security.js';

const MAX_BODY = 24 * 1024 * 1024;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);
const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface BrowserServerOptions {
  readonly backend: InstallerBackend;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Loopback only: 127.0.0.1 (default), ::1 or localhost. */
  readonly host?: string;
  /** The built renderer (default: dist/renderer next to this file's dist/electron). */
  readonly rendererDir?: string;
  /** For tests; otherwise 32 random bytes. */
  readonly token?: string;
}

export interface BrowserServer {
  /** Open this URL: it carries the token once. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

/** The default location of the built renderer relative to this compiled file. */
export function defaultRendererDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'renderer');
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cache-Control', 'no-store');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function refuse(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { ok: false, error: { code: 'permission-denied', message } } satisfies Reply<never>);
}

function sameToken(offered: string | undefined, token: string): boolean {
  if (offered === undefined) return false;
  const a = Buffer.from(offered);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new UserError('invalid-input', 'The request is too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts browser mode on loopback; resolves once listening. */
export async function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new UserError('invalid-input', `Browser mode listens on loopback only, not ${host}.`, 'Use 127.0.0.1 and reach it through an SSH tunnel if needed.');
  }
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const rendererDir = resolve(opts.rendererDir ?? defaultRendererDir());
  const streams = new Set<ServerResponse>();
  let port = 0;

  const broadcast = (e: ProgressEvent): void => {
    const frame = `event: progress\ndata: ${JSON.stringify(e)}\n\n`;
    for (const res of streams) res.write(frame);
  };

  const hostAllowed = (req: IncomingMessage): boolean => {
    const h = req.headers.host;
    if (h === undefined) return false;
    const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    return allowed.includes(h.toLowerCase());
  };

  const serveStatic = async (pathname: string, res: ServerResponse): Promise<void> => {
    const rel = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
    const file = resolve(rendererDir, `.${rel}`);
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) {
      refuse(res, 404, 'Not found.');
      return;
    }
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      sendJson(res, 404, { ok: false, error: { code: 'not-found', message: rel === '/index.html' ? 'The wizard is not built: run `npm run build`.' : 'Not found.' } });
      return;
    }
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Content-Length': info.size });
    createReadStream(file).pipe(res);
  };

  const serveEvents = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    res.write(': connected\n\n');
    streams.add(res);
    const keepAlive = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      streams.delete(res);
    });
  };

  const serveApi = async (method: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!isInstallerMethod(method)) {
      sendJson(res, 404, { ok: false, error: { code: 'not-found', message: `Unknown method ${method}.` } });
      return;
    }
    let payload: unknown;
    try {
      const text = await readBody(req);
      payload = text.trim() === '' ? undefined : JSON.parse(text);
    } catch (err) {
      sendJson(res, 400, { ok: false, error: err instanceof UserError ? errorInfoOf(err) : { code: 'invalid-input', message: 'The request body is not JSON.' } });
      return;
    }
    const parsed = parseRequest(method, payload);
    if (!parsed.ok) {
      sendJson(res, 400, { ok: false, error: parsed.error });
      return;
    }
    try {
      const value = await invokeBackend(opts.backend, method, parsed.value, broadcast);
      sendJson(res, 200, { ok: true, value: value ?? null });
    } catch (err) {
      sendJson(res, 200, { ok: false, error: errorInfoOf(err) });
    }
  };

  const server = createServer((req, res) => {
    securityHeaders(res);
    if (!hostAllowed(req)) {
      refuse(res, 421, 'Unexpected Host header: browser mode answers only on its own loopback address.');
      return;
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const handle = async (): Promise<void> => {
      if (url.pathname.startsWith('/api/')) {
        if (!sameToken(req.headers[TOKEN_HEADER] as string | undefined, token)) {
          refuse(res, 401, 'Missing or wrong session token. Open the address spsetup ui printed.');
          return;
        }
        const origin = req.headers.origin;
        if (origin !== undefined && origin !== `http://${req.headers.host}`) {
          refuse(res, 403, 'Cross-origin requests are refused.');
          return;
        }
        const name = url.pathname.slice('/api/'.length);
        if (name === 'events' && req.method === 'GET') serveEvents(req, res);
        else if (req.method === 'POST') await serveApi(name, req, res);
        else refuse(res, 405, 'Use POST for API calls.');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        refuse(res, 405, 'Method not allowed.');
        return;
      }
      await serveStatic(url.pathname, res);
    };
    handle().catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: errorInfoOf(err) });
      else res.destroy();
    });
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolvePromise());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host === '::1' ? '[::1]' : host;
  return {
    url: `http://${shownHost}:${port}/?token=${encodeURIComponent(token)}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const res of streams) res.end();
        streams.clear();
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

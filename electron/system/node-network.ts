import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { UserError } from '../shared/errors.js';
import type { HttpRequest, HttpResponse, Network } from './types.js';
import { findPortOwner, type PortOwner } from './port-owner.js';

const MAX_RESPONSE = 4 << 20;

/** Network probes with Node's net, dns and os modules. */
export class NodeNetwork implements Network {
  /** Whether a TCP connection to host:port opens within `timeoutMs`. */
  canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({ host, port });
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        socket.removeAllListeners();
        socket.on('error', () => undefined);
        socket.destroy();
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      socket.once('connect', () => finish(true));
      socket.once('error', () => finish(false));
    });
  }

  /** All addresses `host` resolves to; empty when it does not resolve. */
  async resolve(host: string): Promise<readonly string[]> {
    try {
      const all = await lookup(host, { all: true });
      return [...new Set(all.map((a) => a.address))];
    } catch {
      return [];
    }
  }

  /** This machine's addresses (IPv4 and IPv6, loopback included). */
  localAddresses(): readonly string[] {
    return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
  }

  /** The process listening on `port` (Linux, through /proc; elsewhere undefined). */
  async portOwner(port: number): Promise<PortOwner | undefined> {
    return process.platform === 'linux' ? findPortOwner(port) : undefined;
  }

  /** Whether nothing listens on `port` (all addresses when `host` is omitted), by trying to listen on it. */
  isPortFree(port: number, host?: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') resolve(false);
        else reject(new UserError('network', `Cannot test port ${port}${host ? ` on ${host}` : ''}: ${err.code ?? err.message}`, 'Check the port number and the address.'));
      });
      server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
    });
  }

  /** One HTTP(S) request with Node's http/https; a TLS request never falls back to trusting any certificate. */
  request(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    const https = url.protocol === 'https:';
    if (!https && url.protocol !== 'http:') return Promise.reject(new UserError('invalid-input', `Not an http(s) URL: ${url.protocol}`, 'Use http:// or https://.'));
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const options = { method: req.method, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: `${url.pathname}${url.search}`, headers, timeout: req.timeoutMs };
    return new Promise((resolve, reject) => {
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE) res.destroy(new Error(`the answer from ${url.host} is larger than ${MAX_RESPONSE} bytes`));
          else chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      };
      const r = https ? httpsRequest({ ...options, ...(req.tls ?? {}), rejectUnauthorized: true }, onResponse) : httpRequest(options, onResponse);
      r.on('timeout', () => r.destroy(new Error(`no answer from ${url.host} within ${req.timeoutMs} ms`)));
      r.on('error', reject);
      r.end(req.body);
    });
  }
}

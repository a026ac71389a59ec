/**
 * A test server that answers repository API requests from a replay file (method, path without
 * the xrfkey, status, body) over HTTPS, and records every request it got: method, path, headers,
 * body, whether the xrfkey parameter equals the X-Qlik-Xrfkey header, and whether a client
 * certificate came with it. A request the file does not have gets 404 and is recorded too.
 */
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface ReplayResponse {
  readonly method: string;
  /** Path and query without xrfkey, decoded. */
  readonly path: string;
  readonly status: number;
  readonly body?: unknown;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly xrfkeyMatches: boolean;
  readonly clientCertificate: boolean;
  readonly answered: number;
}

/** Path and query without the xrfkey parameter, decoded (the replay file's key). */
function replayKey(url: URL): string {
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'xrfkey');
  return `${url.pathname}${params.length ? `?${params.map(([k, v]) => `${k}=${v}`).join('&')}` : ''}`;
}

/** Starts the server on 127.0.0.1; responses are used in order for repeated keys (the last one stays). */
export async function startQrsReplay(responses: readonly ReplayResponse[], tls: { key: string; cert: string; ca: string }): Promise<{ port: number; requests: RecordedRequest[]; close(): Promise<void> }> {
  const queue = new Map<string, ReplayResponse[]>();
  for (const r of responses) queue.set(`${r.method} ${r.path}`, [...(queue.get(`${r.method} ${r.path}`) ?? []), r]);
  const requests: RecordedRequest[] = [];
  const server: Server = createServer({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://replay');
      const key = `${req.method ?? ''} ${replayKey(url)}`;
      const list = queue.get(key);
      const answer = list && list.length > 1 ? list.shift() : list?.[0];
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-qlik-') || k === 'content-type' || k === 'accept').map(([k, v]) => [k, String(v)]));
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers, body, xrfkeyMatches: url.searchParams.get('xrfkey') === req.headers['x-qlik-xrfkey'], clientCertificate: peer !== null && Object.keys(peer).length > 0, answered: answer?.status ?? 404 });
      if (!answer) return void res.writeHead(404).end(`no replay for ${key}`);
      if (answer.body === undefined) return void res.writeHead(answer.status).end();
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

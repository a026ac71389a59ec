/**
 * Whether a PostgreSQL server answers, as pg_isready tells it (PQping): a startup packet for a
 * role that needs no password to be refused is sent, and the first reply says it. An
 * authentication request, or an error about the role, the database or pg_hba, means the server
 * accepts connections; "the database system is starting up / shutting down" (57P03) means it
 * rejects them; no reply means it does not answer. No credentials are sent.
 */
import { connect } from 'node:net';

export type PingResult = { readonly state: 'accepting' } | { readonly state: 'rejecting'; readonly reason: string } | { readonly state: 'no-answer'; readonly reason: string };

function startupPacket(): Buffer {
  const params = Buffer.from('user\0spsetup-ping\0database\0spsetup-ping\0application_name\0spsetup ping\0\0', 'utf8');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4); // protocol 3.0
  return Buffer.concat([head, params]);
}

/** The fields of an ErrorResponse body (code letter -> text). */
function errorFields(body: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i]!);
    const end = body.indexOf(0, i + 1);
    if (end < 0) break;
    fields.set(code, body.subarray(i + 1, end).toString('utf8'));
    i = end + 1;
  }
  return fields;
}

/** Pings host:port within timeoutMs. */
export function pingPostgres(host: string, port: number, timeoutMs: number): Promise<PingResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let buffer = Buffer.alloc(0);
    const finish = (r: PingResult) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ state: 'no-answer', reason: `no reply within ${Math.round(timeoutMs / 1000)} s` }), timeoutMs);
    socket.once('connect', () => socket.write(startupPacket()));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < 5) return;
      const type = String.fromCharCode(buffer[0]!);
      if (type !== 'E') return finish({ state: 'accepting' });
      const length = buffer.readInt32BE(1);
      if (buffer.length < 1 + length) return;
      const fields = errorFields(buffer.subarray(5, 1 + length));
      if (fields.get('C') === '57P03') return finish({ state: 'rejecting', reason: fields.get('M') ?? 'it rejects connections' });
      return finish({ state: 'accepting' });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ state: 'no-answer', reason: err.code === 'ECONNREFUSED' ? 'connection refused' : (err.code ?? err.message) }));
    socket.once('end', () => finish({ state: 'no-answer', reason: 'it closed the connection' }));
  });
}

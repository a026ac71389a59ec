/**
 * The certificate a PostgreSQL server presents, read the way a client sees it: SSLRequest, then a
 * TLS handshake that trusts nothing and sends nothing else (no credentials). Undefined when the
 * server does not speak SSL. For `site status`: when the database certificate ends.
 */
import { connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';

export interface PresentedCertificate {
  readonly subject: string;
  readonly notAfter: Date;
  readonly fingerprint256: string;
}

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** The server's certificate at host:port within timeoutMs; undefined when it refuses SSL; throws when it does not answer. */
export function readServerCertificate(host: string, port: number, timeoutMs: number): Promise<PresentedCertificate | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host, port });
    let done = false;
    const finish = (err: Error | undefined, cert?: PresentedCertificate) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(cert);
    };
    const timer = setTimeout(() => finish(new Error(`no answer from ${host}:${port} within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    socket.once('error', (err) => finish(err));
    socket.once('connect', () => socket.write(SSL_REQUEST));
    socket.once('data', (chunk: Buffer) => {
      if (chunk[0] !== 0x53) return finish(undefined); // 'N': no SSL on this server
      // The server's certificate is only read, never trusted: nothing is sent over this session.
      const tls = connectTls({ socket, rejectUnauthorized: false, ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }) });
      tls.once('error', (err) => finish(err));
      tls.once('secureConnect', () => {
        const c = tls.getPeerCertificate();
        const subject = c.subject ? Object.entries(c.subject).map(([k, v]) => `${k}=${String(v)}`).join(', ') : '';
        tls.destroy();
        if (!c.valid_to) return finish(new Error(`${host}:${port} presented no certificate`));
        finish(undefined, { subject, notAfter: new Date(c.valid_to), fingerprint256: c.fingerprint256 });
      });
    });
  });
}

import { lookup } from 'node:dns/promises';
import { connect, createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { UserError } from '../shared/errors.js';
import type { Network } from './types.js';
import { findPortOwner, type PortOwner } from './port-owner.js';

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
}

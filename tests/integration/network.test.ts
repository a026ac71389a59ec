import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeNetwork } from '../../electron/system/node-network.js';

const network = new NodeNetwork();
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function listen(host = '127.0.0.1'): Promise<number> {
  const server = createServer((socket) => socket.end());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function closedPort(): Promise<number> {
  const port = await listen();
  const server = servers.pop();
  await new Promise((r) => server?.close(r));
  return port;
}

describe('NodeNetwork', () => {
  it('connects to a listening port and not to a closed one', async () => {
    const open = await listen();
    expect(await network.canConnect('127.0.0.1', open, 2000)).toBe(true);
    const closed = await closedPort();
    expect(await network.canConnect('127.0.0.1', closed, 2000)).toBe(false);
  });

  it('reports a port in use as not free, on its address and on all addresses, and free once closed', async () => {
    const port = await listen('127.0.0.1');
    expect(await network.isPortFree(port, '127.0.0.1')).toBe(false);
    expect(await network.isPortFree(port)).toBe(false);
    const server = servers.pop();
    await new Promise((r) => server?.close(r));
    expect(await network.isPortFree(port, '127.0.0.1')).toBe(true);
    expect(await network.isPortFree(port)).toBe(true);
  });

  it('rejects an address that is not this machine with a network error', async () => {
    await expect(network.isPortFree(5432, '192.0.2.1')).rejects.toMatchObject({ code: 'network' });
  });

  it('resolves localhost to a loopback address and an unknown name to nothing', async () => {
    const addresses = await network.resolve('localhost');
    expect(addresses.some((a) => a === '127.0.0.1' || a === '::1')).toBe(true);
    expect(await network.resolve('no-such-host.invalid')).toEqual([]);
  });

  it('lists the loopback address among this machine’s addresses', () => {
    expect(network.localAddresses()).toContain('127.0.0.1');
  });
});

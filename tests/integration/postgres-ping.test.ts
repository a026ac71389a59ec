/** The pg_isready-like ping (issue 13's "stopped answering"): accepting, rejecting while shutting down, no answer. */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pingPostgres } from '../../electron/system/postgres/ping.js';
import { freeTcpPort } from '../support/cluster.js';
import { OS_USER, startTestServer, type TestServer } from '../support/pg-server.js';

const skip = process.getuid?.() !== 0 ? 'needs root (PostgreSQL runs as the postgres user)' : undefined;

describe.skipIf(skip)(`postgres ping${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ flavor: 'debian15' });
  }, 60_000);
  afterAll(async () => server?.stop());

  it('a running server accepts, without credentials', async () => {
    expect(await pingPostgres('127.0.0.1', server.port, 3000)).toEqual({ state: 'accepting' });
  });

  it('nothing listening: no answer, connection refused', async () => {
    expect(await pingPostgres('127.0.0.1', await freeTcpPort(), 3000)).toEqual({ state: 'no-answer', reason: 'connection refused' });
  });

  it('something that never replies: no answer within the timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    const port = (silent.address() as { port: number }).port;
    try {
      expect(await pingPostgres('127.0.0.1', port, 500)).toEqual({ state: 'no-answer', reason: 'no reply within 1 s' });
    } finally {
      silent.close();
    }
  });

  it('a server in a smart shutdown, waiting for a session to end: rejecting, "shutting down" (last: it stops the server)', async () => {
    const session = await server.connect();
    try {
      execFileSync('runuser', ['-u', OS_USER, '--', `${server.binDir}/pg_ctl`, '-D', server.dataDir, '-m', 'smart', '-W', 'stop']);
      const deadline = Date.now() + 10_000;
      let answer = await pingPostgres('127.0.0.1', server.port, 3000);
      while (answer.state === 'accepting' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        answer = await pingPostgres('127.0.0.1', server.port, 3000);
      }
      expect(answer).toEqual({ state: 'rejecting', reason: 'the database system is shutting down' });
    } finally {
      await session.close().catch(() => undefined);
    }
  });
});

/**
 * Roles and databases created through the client on real servers, with a hostile password, and a
 * cluster created by initCluster from the embedded PostgreSQL 17 binaries.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../electron/shared/errors.js';
import { connectPostgres } from '../../electron/system/postgres/client.js';
import { findServerBinaries } from '../../electron/system/postgres/local-server.js';
import { OS_USER, ensureOsUser, freePort, startTestServer, testPostgres } from '../support/pg-server.js';

const hostile = `p&<>"';:/\\ x Größe-Ωmega`;

function psql(conninfo: string, password: string, sql: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) =>
    execFile('psql', [conninfo, '-Atc', sql], { env: { ...process.env, PGPASSWORD: password }, timeout: 15_000 }, (e, out, err) =>
      resolve({ code: e ? 1 : 0, out: String(out).trim(), err: String(err) }),
    ),
  );
}

describe('ensureRole and ensureDatabase', () => {
  it('create once, then change nothing; the hostile password logs in (pg and libpq) and never reaches the log', async () => {
    const server = await startTestServer({ flavor: 'debian15' });
    try {
      const admin = await server.connect();
      try {
        await admin.query("ALTER SYSTEM SET log_statement = 'all'");
        await admin.query('SELECT pg_reload_conf()');
        const role = 'sp app"user';
        const db = 'sp "db"; drop';
        expect(await admin.roleExists(role)).toBe(false);
        expect(await admin.ensureRole(role, hostile)).toEqual({ created: true, changed: true });
        expect(await admin.ensureRole(role, hostile)).toEqual({ created: false, changed: false });
        expect(await admin.ensureDatabase(db, role)).toEqual({ created: true, changed: true });
        expect(await admin.ensureDatabase(db, role)).toEqual({ created: false, changed: false });
        expect(await admin.databaseExists(db)).toBe(true);
        const [stored] = await admin.query<{ p: string }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', [role]);
        expect(stored?.p).toMatch(/^SCRAM-SHA-256\$4096:/);

        const login = await connectPostgres({ host: '127.0.0.1', port: server.port, user: role, password: hostile, database: db });
        expect(await login.query<{ u: string; d: string }>('SELECT current_user AS u, current_database() AS d')).toEqual([{ u: role, d: db }]);
        await login.close();
        const viaLibpq = await psql(`host=127.0.0.1 port=${server.port} user='sp app"user' dbname='sp "db"; drop' sslmode=disable`, hostile, 'SELECT 1');
        expect(viaLibpq).toMatchObject({ code: 0, out: '1' });

        // A new password replaces the old one; the old one is refused with a clear message.
        expect(await admin.ensureRole(role, hostile + '2')).toEqual({ created: false, changed: true });
        const err = await connectPostgres({ host: '127.0.0.1', port: server.port, user: role, password: hostile, database: db }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UserError);
        expect((err as UserError).code).toBe('database');
        expect((err as UserError).message).toBe(`The database refused the password for user ${role}.`);
        expect((err as UserError).fix).toBeTruthy();
        expect(JSON.stringify(err) + (err as Error).message + ((err as UserError).fix ?? '')).not.toContain(hostile);
      } finally {
        await admin.close();
      }
      const log = await readFile(server.logFile, 'utf8');
      expect(log).toContain('CREATE ROLE');
      expect(log).not.toContain(hostile);
      expect(log).not.toContain('Größe');
    } finally {
      await server.stop();
    }
  });

  it('reports an unreachable server as a network error', async () => {
    const port = await freePort();
    const err = await connectPostgres({ host: '127.0.0.1', port, user: 'x', password: 'secret-pw', timeoutMs: 3000 }).catch((e: unknown) => e);
    expect((err as UserError).code).toBe('network');
    expect((err as UserError).message).toContain(`127.0.0.1:${port}`);
    expect((err as UserError).message).not.toContain('secret-pw');
  });
});

describe('initCluster with the embedded PostgreSQL 17 binaries', () => {
  const roots: string[] = [];
  afterAll(async () => {
    for (const r of roots) await rm(r, { recursive: true, force: true });
  });

  it('creates a cluster as a non-root user; the superuser logs in with the password, which is in no file left behind', async () => {
    const bins = findServerBinaries();
    expect(bins[0]).toMatchObject({ flavor: 'embedded', major: 17 });
    const binDir = bins[0]!.binDir;
    await ensureOsUser();
    const root = await mkdtemp(join(tmpdir(), 'sppg-init-'));
    roots.push(root);
    await chmod(root, 0o755);
    const dataDir = join(root, 'data');
    const port = await freePort();
    await testPostgres.initCluster({ binDir, dataDir, superuser: 'dbadmin', password: hostile, osUser: OS_USER, port, noSync: true, tempDir: root });
    // The password file's private dir is gone; only the data dir is left.
    expect(await readdir(root)).toEqual(['data']);
    await expect(testPostgres.initCluster({ binDir, dataDir, superuser: 'dbadmin', password: hostile, osUser: OS_USER })).rejects.toThrow(/already holds a PostgreSQL cluster/);
    await testPostgres.startServer({ binDir, dataDir, osUser: OS_USER, socketDir: dataDir, timeoutMs: 30_000 });
    try {
      const conn = await connectPostgres({ host: '127.0.0.1', port, user: 'dbadmin', password: hostile });
      try {
        expect(Math.floor((await conn.serverVersionNum()) / 10000)).toBe(17);
        const [owner] = await conn.query<{ u: string }>("SELECT pg_catalog.pg_get_userbyid(datdba) AS u FROM pg_database WHERE datname = 'postgres'");
        expect(owner?.u).toBe('dbadmin');
      } finally {
        await conn.close();
      }
      const hba = await readFile(join(dataDir, 'pg_hba.conf'), 'utf8');
      expect(hba).toMatch(/^host\s+all\s+all\s+127\.0\.0\.1\/32\s+scram-sha-256$/m);
      const wrong = await connectPostgres({ host: '127.0.0.1', port, user: 'dbadmin', password: 'nope' }).catch((e: unknown) => e);
      expect((wrong as UserError).code).toBe('database');
    } finally {
      await testPostgres.stopServer({ binDir, dataDir, osUser: OS_USER });
    }
  });
});

/**
 * postgresql.conf and pg_hba.conf changes against real PostgreSQL 15: the editor's output is what
 * the server reports, and an invalid candidate is refused with the file left as it was.
 */
import { readFileSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../electron/shared/errors.js';
import { readConfSetting, setConfSettings } from '../../electron/system/postgres/conf-editor.js';
import { ensureHbaRules } from '../../electron/system/postgres/hba-editor.js';
import { hashText } from '../../electron/system/postgres/server-config.js';
import { unifiedDiff } from '../../electron/system/text-diff.js';
import { OS_USER, freePort, startTestServer, testPostgres } from '../support/pg-server.js';

const sample = readFileSync(new URL('../fixtures/postgres/postgresql.conf.sample', import.meta.url), 'utf8');
const changedLines = (d: string) => d.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l));

const backupRoot = await mkdtemp(join(tmpdir(), 'sppg-backup-'));
afterAll(() => rm(backupRoot, { recursive: true, force: true }));
let n = 0;
const backup = async (path: string) => {
  const to = join(backupRoot, `${n++}-${path.split('/').pop()}`);
  await copyFile(path, to);
  return to;
};

describe('postgresql.conf editor on a real server', () => {
  it('sets listen_addresses, port and max_connections; the server reports them; a second edit changes nothing', async () => {
    const port = await freePort();
    const want = { listen_addresses: '127.0.0.1', port: String(port), max_connections: '150' };
    const edited = setConfSettings(sample, want);
    expect(changedLines(unifiedDiff('postgresql.conf', sample, edited.text))).toEqual([
      "+listen_addresses = '127.0.0.1'",
      `+port = ${port}`,
      '+max_connections = 150',
    ]);
    const server = await startTestServer({ flavor: 'debian15', conf: edited.text });
    try {
      expect(await readFile(server.confPath, 'utf8')).toBe(edited.text);
      const conn = await server.connect({ host: '127.0.0.1' });
      try {
        const s = await conn.readSettings(Object.keys(want));
        expect({ listen: s.listen_addresses?.setting, port: s.port?.setting, max: s.max_connections?.setting }).toEqual({
          listen: '127.0.0.1',
          port: String(port),
          max: '150',
        });
        expect(s.max_connections?.sourcefile).toBe(server.confPath);
      } finally {
        await conn.close();
      }
      const again = setConfSettings(edited.text, want);
      expect(again.changed).toEqual([]);
      expect(again.text).toBe(edited.text);
    } finally {
      await server.stop();
    }
  });
});

describe('applying config to a running server', () => {
  it('refuses an invalid postgresql.conf or pg_hba.conf, leaves the files unchanged and the server running', async () => {
    const server = await startTestServer({ flavor: 'debian15' });
    try {
      const conn = await server.connect();
      try {
        const conf = await readFile(server.confPath, 'utf8');
        const confHash = hashText(conf);
        const bad = setConfSettings(conf, { work_mem: 'lots' }).text;
        const err = await testPostgres.applyConfig(conn, { kind: 'conf', path: server.confPath, candidate: bad, backup }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UserError);
        expect((err as UserError).code).toBe('config-invalid');
        expect((err as UserError).message).toMatch(/work_mem/);
        expect(hashText(await readFile(server.confPath, 'utf8'))).toBe(confHash);
        // A restart-only setting is not checked by the running server: postgres -C catches it.
        const badRestart = setConfSettings(conf, { max_connections: 'many' }).text;
        // Without `offline`, the binaries come from pg_config and the account from the file's owner.
        const err2 = await testPostgres.applyConfig(conn, { kind: 'conf', path: server.confPath, candidate: badRestart, backup }).catch((e: unknown) => e);
        expect((err2 as UserError).code).toBe('config-invalid');
        expect((err2 as UserError).message).toMatch(/invalid value for parameter "max_connections"/);
        expect(hashText(await readFile(server.confPath, 'utf8'))).toBe(confHash);

        const hba = await readFile(server.hbaPath, 'utf8');
        const badHba = hba + 'host all all 10.250.0.0/99 scram-sha-256\n';
        const hbaErr = await testPostgres.applyConfig(conn, { kind: 'hba', path: server.hbaPath, candidate: badHba, backup }).catch((e: unknown) => e);
        expect((hbaErr as UserError).code).toBe('config-invalid');
        expect((hbaErr as UserError).message).toMatch(/pg_hba\.conf line \d+/);
        expect(await readFile(server.hbaPath, 'utf8')).toBe(hba);
        expect(await conn.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
        // No error rows remain: the server reads the restored files cleanly.
        expect(await conn.query('SELECT error FROM pg_hba_file_rules WHERE error IS NOT NULL')).toEqual([]);
      } finally {
        await conn.close();
      }
      // A new connection still works after the refused attempts.
      const again = await server.connect();
      await again.close();
    } finally {
      await server.stop();
    }
  });

  it('applies a valid change with a backup, confirms the reload, and reports what needs a restart', async () => {
    const server = await startTestServer({ flavor: 'debian15' });
    try {
      const conn = await server.connect();
      try {
        const before = await readFile(server.confPath, 'utf8');
        const want = { work_mem: '8MB', max_connections: '250' };
        const candidate = setConfSettings(before, want).text;
        const offline = { binDir: server.binDir, osUser: OS_USER };
        const r = await testPostgres.applyConfig(conn, { kind: 'conf', path: server.confPath, candidate, backup, expect: want, offline });
        expect(r.changed).toBe(true);
        expect(r.restartNeeded).toEqual(['max_connections']);
        expect(changedLines(r.diff)).toEqual(['-max_connections = 100\t\t\t# (change requires restart)', '+max_connections = 250\t\t\t# (change requires restart)', "+work_mem = 8MB"]);
        expect(await readFile(r.backupPath!, 'utf8')).toBe(before);
        expect(await conn.query("SELECT current_setting('work_mem') AS v")).toEqual([{ v: '8MB' }]);
        expect(readConfSetting(await readFile(server.confPath, 'utf8'), 'max_connections')).toBe('250');
        const st = statSync(server.confPath);
        expect(st.mode & 0o777).toBe(0o600);
        expect(st.uid).not.toBe(0);

        const hba = await readFile(server.hbaPath, 'utf8');
        const withRules = ensureHbaRules(hba, [{ type: 'host', database: 'all', user: 'all', address: '10.250.9.0/24', method: 'scram-sha-256' }]).text;
        const h = await testPostgres.applyConfig(conn, { kind: 'hba', path: server.hbaPath, candidate: withRules, backup });
        expect(h.changed).toBe(true);
        const rows = await conn.query<{ address: string }>("SELECT address FROM pg_hba_file_rules WHERE address = '10.250.9.0'");
        expect(rows).toHaveLength(1);
        const noop = await testPostgres.applyConfig(conn, { kind: 'hba', path: server.hbaPath, candidate: withRules, backup });
        expect(noop).toMatchObject({ changed: false, diff: '' });
      } finally {
        await conn.close();
      }
    } finally {
      await server.stop();
    }
  });
});

describe('validating config for a stopped server', () => {
  it('reads the effective values with postgres -C, and refuses a bad candidate without touching the data dir', async () => {
    const s2 = await startTestServer({ flavor: 'debian15' });
    const { binDir, dataDir } = s2;
    await testPostgres.stopServer({ binDir, dataDir, osUser: OS_USER });
    try {
      const conf = await readFile(s2.confPath, 'utf8');
      const hash = hashText(conf);
      const good = setConfSettings(conf, { max_connections: '300', listen_addresses: '*' }).text;
      expect(await testPostgres.validateOffline({ binDir, dataDir, osUser: OS_USER, conf: good, names: ['max_connections', 'listen_addresses'] })).toEqual({
        max_connections: '300',
        listen_addresses: '*',
      });
      const bad = setConfSettings(conf, { max_connections: 'lots' }).text;
      await expect(testPostgres.validateOffline({ binDir, dataDir, osUser: OS_USER, conf: bad, names: ['max_connections'] })).rejects.toThrow(
        /invalid value for parameter "max_connections"/,
      );
      expect(hashText(await readFile(s2.confPath, 'utf8'))).toBe(hash);
    } finally {
      await s2.stop();
    }
  });
});

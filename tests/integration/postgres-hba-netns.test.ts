/**
 * pg_hba rules written by ensureHbaRules, loaded by a real server in its own network namespace:
 * a client from the allowed range connects, one from another range is refused.
 */
import { describe, expect, it } from 'vitest';
import { ensureHbaRules, findMatchingRule, isClientAllowed, parseHba } from '../../electron/system/postgres/hba-editor.js';
import { readFile } from 'node:fs/promises';
import { createNetns, netnsName, runInNetns, useNetnsCleanup } from '../support/netns.js';
import { startTestServer } from '../support/pg-server.js';

useNetnsCleanup();

describe('pg_hba rules on a real server across network namespaces', () => {
  it('lets the allowed range in and refuses another', async () => {
    const srv = netnsName('s');
    const allowed = netnsName('a');
    const other = netnsName('b');
    await createNetns(allowed, '10.250.1.2/24', '10.250.1.1/24', srv);
    await createNetns(other, '10.250.2.2/24', '10.250.2.1/24', srv);
    const rules = [{ type: 'host', database: 'appdb', user: 'appuser', address: '10.250.1.0/24', method: 'scram-sha-256' }] as const;
    const server = await startTestServer({
      flavor: 'debian15',
      netns: srv,
      port: 5432,
      listenAddresses: '10.250.1.1,10.250.2.1',
      hba: (initdb) => ensureHbaRules(initdb, rules).text,
    });
    try {
      const hba = await readFile(server.hbaPath, 'utf8');
      expect(hba).toContain('# BEGIN spsetup managed rules');
      const conn = await server.connect();
      const appPassword = 'app pw ä/\\;';
      try {
        expect(await conn.query('SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL')).toEqual([]);
        await conn.ensureRole('appuser', appPassword);
        await conn.ensureDatabase('appdb', 'appuser');
      } finally {
        await conn.close();
      }
      const entries = parseHba(hba);
      const client = { database: 'appdb', user: 'appuser', ssl: false, localAddresses: [] };
      expect(isClientAllowed(entries, { ...client, address: '10.250.1.2' })).toBe(true);
      expect(findMatchingRule(entries, { ...client, address: '10.250.2.2' })).toBeUndefined();

      const psql = (ns: string, host: string) =>
        runInNetns(ns, 'psql', [`host=${host} port=${server.port} user=appuser dbname=appdb sslmode=disable connect_timeout=5`, '-Atc', 'SELECT inet_client_addr()'], {
          env: { PGPASSWORD: appPassword },
          timeoutMs: 15_000,
        });
      const ok = await psql(allowed, '10.250.1.1');
      expect(ok.stderr).toBe('');
      expect(ok.stdout.trim()).toBe('10.250.1.2');
      const refused = await psql(other, '10.250.2.1');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('no pg_hba.conf entry for host "10.250.2.2", user "appuser", database "appdb"');
      // The same client with a wrong password is let in to try, and refused on the password.
      const wrong = await runInNetns(allowed, 'psql', [`host=10.250.1.1 port=${server.port} user=appuser dbname=appdb sslmode=disable connect_timeout=5`, '-c', 'SELECT 1'], {
        env: { PGPASSWORD: 'nope' },
      });
      expect(wrong.stderr).toContain('password authentication failed for user "appuser"');
    } finally {
      await server.stop();
    }
  });
});

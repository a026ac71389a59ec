/**
 * Attack 8 of issue 11: a role or database whose name is a pg_hba keyword (all, sameuser,
 * samerole, replication, +group, @file) came out bare in our rules, so PostgreSQL read it
 * as the keyword: a rule meant for the role "all" let every role in. Replayed on a real server:
 * each rule admits only the role and database it names, and an outsider role is refused. A name
 * starting with / is a regular expression to PostgreSQL 16+ even when quoted: it is refused.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../electron/shared/errors.js';
import { ensureHbaRules, type HbaRule } from '../../../electron/system/postgres/hba-editor.js';
import { escapeIdentifier } from 'pg';
import { startTestServer, type TestServer } from '../../support/pg-server.js';

let server: TestServer;
const HOST = '127.0.0.1';
// Trust makes "the rule matched" observable without passwords; everything else falls to the reject.
const rule = (database: string, user: string): HbaRule => ({ type: 'host', database, user, address: `${HOST}/32`, method: 'trust' });
const RULES: readonly HbaRule[] = [
  rule('spdb', 'all'),
  rule('sameuser', 'spuser'),
  rule('samerole', 'spuser'),
  rule('replication', 'spuser'),
  rule('spdb', '+admins'),
  rule('spdb', '@evil'),
];

beforeAll(async () => {
  server = await startTestServer({
    flavor: 'embedded17', // PostgreSQL 16+ reads a leading / as a regular expression
    hba: ensureHbaRules('local all all trust\nhost all all 0.0.0.0/0 reject\n', RULES).text,
  });
  const admin = await server.connect();
  try {
    for (const role of ['all', 'spuser', 'admins', 'mallory', '+admins', '@evil', '/^.*$']) await admin.query(`CREATE ROLE ${escapeIdentifier(role)} LOGIN`);
    await admin.query('GRANT admins TO mallory');
    for (const db of ['spdb', 'sameuser', 'samerole', 'replication', 'spuser', 'mallory']) await admin.query(`CREATE DATABASE ${escapeIdentifier(db)}`);
  } finally {
    await admin.close();
  }
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

/** Whether `user` gets into `database` over TCP. */
async function admitted(user: string, database: string): Promise<boolean> {
  try {
    const c = await server.connect({ host: HOST, user, database, password: 'unused' });
    await c.close();
    return true;
  } catch {
    return false;
  }
}

describe('attack 8: pg_hba keywords as role and database names', () => {
  it('each rule admits exactly the role and database it names', async () => {
    for (const [user, database] of [['all', 'spdb'], ['spuser', 'sameuser'], ['spuser', 'samerole'], ['spuser', 'replication'], ['+admins', 'spdb'], ['@evil', 'spdb']] as const) {
      expect(await admitted(user, database), `${user} -> ${database}`).toBe(true);
    }
  });

  it('an outsider is not let in through a keyword', async () => {
    expect(await admitted('mallory', 'spdb')).toBe(false); // "all", "+admins" (mallory is a member)
    expect(await admitted('spuser', 'spuser')).toBe(false); // "sameuser"
    expect(await admitted('mallory', 'mallory')).toBe(false);
  });

  it('refuses a name that PostgreSQL would read as a regular expression, writing nothing', async () => {
    const before = await readFile(server.hbaPath, 'utf8');
    const err = (() => {
      try {
        return ensureHbaRules(before, [rule('spdb', '/^.*$')]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain('regular expression');
    expect(await admitted('/^.*$', 'spdb')).toBe(false);
    expect(await admitted('mallory', 'spdb')).toBe(false);
  });

  it('the server reads every name as written, not as a keyword', async () => {
    const admin = await server.connect();
    try {
      const rows = await admin.query<{ database: string[]; user_name: string[]; error: string | null }>("SELECT database, user_name, error FROM pg_hba_file_rules WHERE auth_method = 'trust' AND type = 'host'");
      expect(rows.every((r) => r.error === null)).toBe(true);
      expect(rows).toHaveLength(RULES.length);
    } finally {
      await admin.close();
    }
  });
});

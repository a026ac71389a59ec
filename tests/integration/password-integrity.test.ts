/**
 * Issue 15, password integrity (the guide's rules) on a real server: a role whose password is
 * stored as an md5 hash gets it stored again as a SCRAM verifier (the same password, the clear
 * text never in a statement), and an empty password is refused with nothing changed.
 */
import { describe, expect, it } from 'vitest';
import { md5Verifier } from '../../electron/system/postgres/scram.js';
import { startTestServer } from '../support/pg-server.js';

describe('password integrity', () => {
  it('re-hashes an md5 password as SCRAM, and refuses an empty one', async () => {
    const server = await startTestServer({ flavor: 'debian15' });
    try {
      const admin = await server.connect();
      try {
        const stored = async () => (await admin.query<{ p: string }>("SELECT rolpassword AS p FROM pg_authid WHERE rolname = 'legacy_repo'"))[0]!.p;
        await admin.query(`CREATE ROLE legacy_repo LOGIN PASSWORD '${md5Verifier('old secret', 'legacy_repo')}'`);
        expect(await stored()).toMatch(/^md5[0-9a-f]{32}$/);
        expect(await admin.ensureRole('legacy_repo', 'old secret')).toEqual({ created: false, changed: true });
        expect(await stored()).toMatch(/^SCRAM-SHA-256\$4096:/);
        expect(await admin.ensureRole('legacy_repo', 'old secret')).toEqual({ created: false, changed: false });
        const before = await stored();
        await expect(admin.ensureRole('legacy_repo', '')).rejects.toThrow(/needs a name and a password/);
        expect(await stored()).toBe(before);
        const login = await server.connect({ user: 'legacy_repo', password: 'old secret', database: 'postgres' });
        await login.close();
      } finally {
        await admin.close();
      }
    } finally {
      await server.stop();
    }
  });
});

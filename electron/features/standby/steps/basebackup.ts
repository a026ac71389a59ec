/**
 * Step kind `pg-basebackup`: the standby's data directory copied from the primary with
 * `pg_basebackup -R` (standby.signal and primary_conninfo, or recovery.conf for servers before 12),
 * streaming the WAL it needs and bound to its replication slot. Runs as the server's account; the
 * password comes from the password file. A failed copy leaves no half-made data directory.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { runPgProgram } from '../../../system/postgres/run-command.js';

const params = z
  .object({
    primary: z.object({ host: z.string(), port: z.number().int() }).strict(),
    user: z.string(),
    passfile: z.string(),
    slot: z.string(),
    applicationName: z.string(),
    dataDir: z.string(),
    binDir: z.string(),
    osUser: z.string(),
  })
  .strict();

/** A conninfo value quoted for libpq. */
const q = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

async function isStandbyDir(sys: System, dataDir: string): Promise<boolean> {
  return Boolean((await sys.files.stat(`${dataDir}/PG_VERSION`)) && ((await sys.files.stat(`${dataDir}/standby.signal`)) || (await sys.files.stat(`${dataDir}/recovery.conf`))));
}

export const basebackupStep = defineStepKind<typeof params, System>({
  kind: 'pg-basebackup',
  params,
  async check(p, { sys }) {
    if (await isStandbyDir(sys, p.dataDir)) return { action: 'noop', summary: `${p.dataDir} holds a standby copy` };
    if (await sys.files.stat(`${p.dataDir}/PG_VERSION`)) {
      throw new UserError('conflict', `${p.dataDir} already holds a database that is not a standby.`, 'Give standby.dataDir an empty or new folder; spsetup never overwrites a database.');
    }
    return { action: 'create', summary: `Copy the primary ${p.primary.host}:${p.primary.port} into ${p.dataDir} (pg_basebackup -R, slot ${p.slot})` };
  },
  async apply(p, { sys, log }) {
    if (await isStandbyDir(sys, p.dataDir)) return { created: false };
    const existed = Boolean(await sys.files.stat(p.dataDir));
    await sys.files.ensureDir(p.dataDir, { mode: 0o700, owner: p.osUser });
    const conninfo = [`host=${q(p.primary.host)}`, `port=${p.primary.port}`, `user=${q(p.user)}`, `passfile=${q(p.passfile)}`, `application_name=${q(p.applicationName)}`].join(' ');
    log(`pg_basebackup from ${p.primary.host}:${p.primary.port} into ${p.dataDir}`);
    try {
      await runPgProgram(sys.processes, `${p.binDir}/pg_basebackup`, ['-d', conninfo, '-D', p.dataDir, '-R', '-S', p.slot, '-X', 'stream', '-c', 'fast', '-w'], { user: p.osUser, timeoutMs: 30 * 60_000 });
    } catch (err) {
      // Never leave a partial copy that a later run would mistake for a standby.
      await sys.files.remove(p.dataDir);
      if (existed) await sys.files.ensureDir(p.dataDir, { mode: 0o700, owner: p.osUser });
      throw err;
    }
    return { created: true };
  },
  async verify(p, { sys }) {
    if (!(await isStandbyDir(sys, p.dataDir))) throw new UserError('verify-failed', `${p.dataDir} is not a standby copy after pg_basebackup.`, 'Read the log above, then run again.');
  },
});

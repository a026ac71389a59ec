/**
 * Step kind `pg-alter-system`: server settings set through SQL (ALTER SYSTEM, which the server
 * itself validates), then reloaded. Run from another machine (the standby), so no file of the
 * server is edited here. A setting that needs a restart is reported with what to do: a remote
 * server cannot be restarted through SQL.
 */
import { escapeIdentifier, escapeLiteral } from 'pg';
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import type { PgConnection } from '../../../system/postgres/index.js';
import { serverRef, sleep, withServer } from './server-ref.js';

const params = z
  .object({
    server: serverRef,
    // An extension's settings have a dotted name (pgautofailover.health_check_period).
    settings: z.record(z.string().regex(/^[a-z_]+(\.[a-z_]+)?$/), z.string()),
    /** The server is made by an earlier step of the same plan: while it does not answer, the check reports the change still to do. */
    madeEarlier: z.boolean().optional(),
  })
  .strict();

interface Current {
  readonly differs: string[];
  readonly pendingRestart: string[];
}

async function current(conn: PgConnection, wanted: Readonly<Record<string, string>>): Promise<Current> {
  const have = await conn.readSettings(Object.keys(wanted));
  const differs: string[] = [];
  const pendingRestart: string[] = [];
  for (const [name, value] of Object.entries(wanted)) {
    const s = have[name];
    if (!s) throw new UserError('config-invalid', `The server has no setting ${name}.`, 'Check the server version.');
    if (s.setting !== value) differs.push(name);
    if (s.pendingRestart) pendingRestart.push(name);
  }
  return { differs, pendingRestart };
}

const restartNeeded = (host: string, names: readonly string[]) =>
  new UserError(
    'apply-failed',
    `${host}: ${names.join(', ')} take effect only after a restart of that server.`,
    `Restart PostgreSQL on ${host} (its service, or pg_ctl restart as its owner), then run the same command again: finished steps are kept.`,
  );

const describe = (s: Readonly<Record<string, string>>, names: readonly string[]) => names.map((n) => `${n} = ${s[n]}`).join(', ');

export const alterSystemStep = defineStepKind<typeof params, System>({
  kind: 'pg-alter-system',
  params,
  async check(p, ctx) {
    const c = await withServer(p.server, ctx, (conn) => current(conn, p.settings)).catch((err: unknown) => {
      if (p.madeEarlier) return undefined;
      throw err;
    });
    if (!c) return { action: 'update', summary: `${p.server.host}:${p.server.port}: set ${describe(p.settings, Object.keys(p.settings))} once it runs` };
    if (!c.differs.length) return { action: 'noop', summary: `${p.server.host}: ${describe(p.settings, Object.keys(p.settings))} already in effect` };
    const pending = c.pendingRestart.length ? ` (${c.pendingRestart.join(', ')} set, waiting for a restart of the server)` : '';
    return { action: 'update', summary: `${p.server.host}: set ${describe(p.settings, c.differs)}${pending}` };
  },
  async apply(p, ctx) {
    const after = await withServer(p.server, ctx, async (conn) => {
      const { differs } = await current(conn, p.settings);
      for (const name of differs) await conn.query(`ALTER SYSTEM SET ${escapeIdentifier(name)} = ${escapeLiteral(p.settings[name]!)}`);
      await conn.query('SELECT pg_reload_conf()');
      // The reload is a signal: wait (bounded) until the server shows the new values or a pending restart.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const c = await current(conn, p.settings);
        if (c.differs.every((n) => c.pendingRestart.includes(n)) || Date.now() > deadline) return c;
        await sleep(100);
      }
    });
    // Set but waiting for a restart: the change is made (postgresql.auto.conf), the step is not done.
    if (after.differs.length && after.differs.every((n) => after.pendingRestart.includes(n))) throw restartNeeded(p.server.host, after.differs);
  },
  async verify(p, ctx) {
    const c = await withServer(p.server, ctx, (conn) => current(conn, p.settings));
    if (!c.differs.length) return;
    if (c.differs.every((n) => c.pendingRestart.includes(n))) throw restartNeeded(p.server.host, c.differs);
    throw new UserError('verify-failed', `${p.server.host}: ${describe(p.settings, c.differs)} are not in effect after the reload.`, 'A setting in postgresql.conf may override postgresql.auto.conf; correct it and run again.');
  },
});

/** Step kind `pg-replication-slot`: a physical slot, so the primary keeps the WAL its standby has not received yet. */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import type { PgConnection } from '../../../system/postgres/index.js';
import { serverRef, withServer } from './server-ref.js';

const params = z.object({ server: serverRef, slot: z.string().regex(/^[a-z0-9_]{1,63}$/) }).strict();

const slotExists = async (conn: PgConnection, slot: string) => (await conn.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND slot_type = 'physical'`, [slot])).length > 0;

export const replicationSlotStep = defineStepKind<typeof params, System>({
  kind: 'pg-replication-slot',
  params,
  async check(p, ctx) {
    const exists = await withServer(p.server, ctx, (conn) => slotExists(conn, p.slot));
    return exists ? { action: 'noop', summary: `${p.server.host}: replication slot ${p.slot} exists` } : { action: 'create', summary: `${p.server.host}: create the physical replication slot ${p.slot}` };
  },
  async apply(p, ctx) {
    return withServer(p.server, ctx, async (conn) => {
      if (await slotExists(conn, p.slot)) return { created: false };
      await conn.query('SELECT pg_create_physical_replication_slot($1)', [p.slot]);
      return { created: true };
    });
  },
  async verify(p, ctx) {
    if (!(await withServer(p.server, ctx, (conn) => slotExists(conn, p.slot)))) throw new UserError('verify-failed', `The replication slot ${p.slot} is missing on ${p.server.host}.`, 'Run the command again.');
  },
  async undo(p, ctx, record) {
    if (record?.['created']) await withServer(p.server, ctx, (conn) => conn.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, [p.slot]));
  },
});

/**
 * Step kind `pg-rewind`: this machine's stopped data directory (an old primary) rewound with
 * `pg_rewind` to where the new primary's timeline forked, then made its standby: standby.signal,
 * primary_conninfo (the replication role, its password in the private password file) and the
 * replication slot in postgresql.auto.conf, as pg_basebackup -R writes them. pg_rewind reads the
 * new primary as its superuser; that password is in a password file of its own for the run only.
 * A fence left in postgresql.auto.conf (default_transaction_read_only) goes: a standby is
 * read-only anyway, and it would make the server refuse writes once promoted.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { parseConf, readConfSetting, setConfSettings } from '../../../system/postgres/index.js';
import { runPgProgram } from '../../../system/postgres/run-command.js';
import { serverRef, withServer } from './server-ref.js';

/** The standby's connection to its primary, as primary_conninfo and primary_slot_name. */
export const standbyOfSchema = z.object({ host: z.string(), port: z.number().int(), user: z.string(), passfile: z.string(), applicationName: z.string(), slot: z.string() }).strict();

const params = z
  .object({
    source: serverRef,
    dataDir: z.string(),
    binDir: z.string(),
    osUser: z.string(),
    /** Folder (private to the server account) for the run's superuser password file. */
    passfileDir: z.string(),
    standbyOf: standbyOfSchema,
  })
  .strict();
type Params = z.infer<typeof params>;

/** A conninfo value quoted for libpq. */
const q = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/:/g, '\\:');

/** The standby settings this step writes. */
export function standbyConninfo(p: Params['standbyOf']): Record<string, string> {
  const conninfo = [`host=${q(p.host)}`, `port=${p.port}`, `user=${q(p.user)}`, `passfile=${q(p.passfile)}`, `application_name=${q(p.applicationName)}`].join(' ');
  return { primary_conninfo: conninfo, primary_slot_name: p.slot };
}

const autoConf = (p: Params) => `${p.dataDir}/postgresql.auto.conf`;

/** Whether `dataDir` already is the standby `standbyOf` describes (signal file and settings, no fence left). */
export async function isStandbyOf(sys: System, dataDir: string, standbyOf: z.infer<typeof standbyOfSchema>): Promise<boolean> {
  if (!(await sys.files.stat(`${dataDir}/standby.signal`))) return false;
  const text = (await sys.files.readText(`${dataDir}/postgresql.auto.conf`)) ?? '';
  const want = standbyConninfo(standbyOf);
  return Object.entries(want).every(([k, v]) => readConfSetting(text, k) === v) && readConfSetting(text, 'default_transaction_read_only') === undefined;
}

const configured = (p: Params, sys: System) => isStandbyOf(sys, p.dataDir, p.standbyOf);

/** postgresql.auto.conf with the fence removed and the standby settings set. */
function standbyAutoConf(text: string, p: Params): string {
  const kept = parseConf(text)
    .filter((l) => !(l.kind === 'setting' && l.name === 'default_transaction_read_only'))
    .map((l) => l.raw)
    .join('');
  return setConfSettings(kept, standbyConninfo(p.standbyOf)).text;
}

async function rewind(p: Params, ctx: StepContext<System>): Promise<void> {
  const { sys } = ctx;
  const passfile = `${p.passfileDir}/rewind.pgpass`;
  await sys.files.ensureDir(p.passfileDir, { mode: 0o700, owner: p.osUser });
  await sys.secretStore.put(passfile, `${esc(p.source.host)}:${p.source.port}:*:${esc(p.source.user)}:${esc(ctx.secret(p.source.password.secret))}\n`, p.osUser);
  try {
    // pg_rewind reads the source's timeline from its control file, which a promotion updates only at
    // the next checkpoint (the docs say: run CHECKPOINT after a promotion); else it rewinds to a wrong fork.
    await withServer(p.source, ctx, (c) => c.query('CHECKPOINT'));
    const source = [`host=${q(p.source.host)}`, `port=${p.source.port}`, `user=${q(p.source.user)}`, 'dbname=postgres', `passfile=${q(passfile)}`].join(' ');
    ctx.log(`pg_rewind ${p.dataDir} from ${p.source.host}:${p.source.port}`);
    const r = await runPgProgram(sys.processes, `${p.binDir}/pg_rewind`, ['--target-pgdata', p.dataDir, '--source-server', source], { user: p.osUser, timeoutMs: 60 * 60_000, allowFailure: true });
    for (const line of `${r.stdout}\n${r.stderr}`.split('\n').filter(Boolean)) ctx.log(`pg_rewind: ${line}`);
    if (r.code !== 0) {
      throw new UserError(
        'process-failed',
        `pg_rewind could not rewind ${p.dataDir}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`,
        'When its WAL since the fork is gone on both servers, make this machine a standby again with a fresh copy: move the data directory away and run spsetup db standby add.',
      );
    }
  } finally {
    await sys.files.remove(passfile);
  }
}

export const rewindStep = defineStepKind<typeof params, System>({
  kind: 'pg-rewind',
  params,
  async check(p, { sys }) {
    if (!(await sys.files.stat(`${p.dataDir}/PG_VERSION`))) throw new UserError('not-found', `${p.dataDir} holds no database to rewind.`, "Give standby.dataDir this machine's data directory, or use db standby add for a new standby.");
    if (await configured(p, sys)) return { action: 'noop', summary: `${p.dataDir} is a standby of ${p.standbyOf.host}:${p.standbyOf.port}` };
    return { action: 'run', summary: `pg_rewind ${p.dataDir} from ${p.source.host}:${p.source.port}, then standby.signal, primary_conninfo and slot ${p.standbyOf.slot}` };
  },
  async apply(p, ctx) {
    const { sys } = ctx;
    if (await configured(p, sys)) return;
    await rewind(p, ctx);
    await sys.files.writeAtomic(`${p.dataDir}/standby.signal`, '', { mode: 0o600, owner: p.osUser });
    const text = (await sys.files.readText(autoConf(p))) ?? '';
    await sys.files.writeAtomic(autoConf(p), standbyAutoConf(text, p), { mode: 0o600, owner: p.osUser });
  },
  async verify(p, { sys }) {
    if (!(await configured(p, sys))) throw new UserError('verify-failed', `${p.dataDir} is not set up as a standby of ${p.standbyOf.host} after pg_rewind.`, 'Run the command again.');
  },
});

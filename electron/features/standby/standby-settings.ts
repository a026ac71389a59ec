/**
 * The settings of a replicated repository database, as seen from the machine the command runs on:
 * `standby` is this machine, `primary` the other server (as they are when this machine is the
 * standby). The same file drives `db standby add` (this machine becomes a standby by a copy),
 * `db status`, `db failover` (this machine is promoted), `db switchover` (run on the current
 * primary: it hands over to the other and becomes its standby) and `db rejoin` (this machine, an
 * old primary, becomes the standby by pg_rewind). Which server is primary is read from the
 * servers themselves, never trusted from this file.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { UserError } from '../../shared/errors.js';
import { isHost, secretSchema } from '../../shared/settings.js';
import { resolveSecret } from '../installer/load-settings.js';

const port = z.number().int().min(1, 'a port is 1..65535').max(65535, 'a port is 1..65535');
const host = z.string().trim().min(1, 'a host is required').refine(isHost, { message: 'not a host name or IP address' });
const absolute = z.string().refine((p) => p.startsWith('/'), { message: 'an absolute path is required' });

export const standbySettingsSchema = z
  .object({
    primary: z
      .object({
        host,
        port: port.default(5432),
        superuser: z.string().min(1).default('postgres'),
        /** The superuser password (the standby's copy of the cluster has the same superuser). */
        superuserPassword: secretSchema,
      })
      .strict(),
    standby: z
      .object({
        /** This machine's address as the primary sees it: the only address the replication rule admits. */
        host,
        port: port.default(5432),
        dataDir: absolute,
        /** The OS account that owns the data directory and runs the server. */
        osUser: z.string().min(1).default('postgres'),
        /** PostgreSQL's bin directory (default: the newest /usr/lib/postgresql/N/bin of the primary's major version). */
        binDir: absolute.optional(),
        /** Unix socket directory of the standby (default: the server's compiled-in one). */
        socketDir: absolute.optional(),
      })
      .strict(),
    replication: z
      .object({
        user: z
          .string()
          .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case role name')
          .default('spsetup_replication'),
        password: secretSchema,
        /** Commit waits until the standby has the WAL (synchronous_standby_names): no committed row is lost on failover. */
        synchronous: z.boolean().default(false),
        walKeepSize: z.string().regex(/^\d+$/, 'megabytes, a whole number').default('512'),
      })
      .strict(),
    /** The site whose nodes follow the primary: failover and switchover wait until every node heartbeats through the new one. */
    site: z
      .object({
        /** The repository database (it holds spsetup's site schema). */
        database: z.string().min(1).default('QSR'),
        followTimeoutSeconds: z.number().int().min(1).max(3600).default(180),
      })
      .strict()
      .optional(),
    stateDir: absolute,
    services: z
      .object({ manager: z.enum(['auto', 'runit', 'systemd']).default('auto'), runitDir: z.string().optional() })
      .strict()
      .default({ manager: 'auto' }),
  })
  .strict()
  .refine((s) => s.primary.host !== s.standby.host || s.primary.port !== s.standby.port, { message: 'the standby must be another server than the primary', path: ['standby', 'host'] });
export type StandbySettings = z.infer<typeof standbySettingsSchema>;

/** The names of the secrets, as plans and journals refer to them. */
export const STANDBY_SECRETS = ['primary.superuserPassword', 'replication.password'] as const;

/** Reads and validates a standby settings file; a bad field is named, nothing is changed. */
export async function loadStandbySettings(path: string): Promise<StandbySettings> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new UserError('invalid-input', `Cannot read the settings file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`, 'Check the path and that it holds JSON.');
  }
  const parsed = standbySettingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const list = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
  throw new UserError('invalid-input', `The settings file ${path} has invalid fields: ${list}.`, 'Correct the named fields and run the command again.');
}

/** The secrets by name. */
export async function resolveStandbySecrets(s: StandbySettings, env: NodeJS.ProcessEnv = process.env): Promise<ReadonlyMap<string, string>> {
  return new Map([
    ['primary.superuserPassword', await resolveSecret('primary.superuserPassword', s.primary.superuserPassword, env)],
    ['replication.password', await resolveSecret('replication.password', s.replication.password, env)],
  ]);
}

/** The replication slot and application name of a standby: derived from its address, so each standby has its own. */
export function standbyName(standbyHost: string): string {
  return `spsetup_${standbyHost.toLowerCase().replace(/[^a-z0-9]/g, '_')}`.slice(0, 63);
}

/** The database service on a replicated database machine (named for the machine, not its role: roles change). */
export const DATABASE_SERVICE = 'spsetup-postgresql';

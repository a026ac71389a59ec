/**
 * The settings of automatic failover with pg_auto_failover (Debian's postgresql-15-auto-failover):
 * one monitor (a third machine or the central node) and a keeper on each database machine, which
 * then runs its PostgreSQL server itself. The same file shape serves `db auto-failover monitor`
 * (run on the monitor) and `db auto-failover keeper` (run on each database machine: the primary
 * first, with its existing data directory; then the standby, whose data directory is empty and
 * which pg_autoctl copies from the primary).
 */
import { z } from 'zod';
import { UserError } from '../../shared/errors.js';
import { isHost, secretSchema } from '../../shared/settings.js';
import { resolveSecret } from '../installer/load-settings.js';

const port = z.number().int().min(1, 'a port is 1..65535').max(65535, 'a port is 1..65535');
const host = z.string().trim().min(1, 'a host is required').refine(isHost, { message: 'not a host name or IP address' });
const absolute = z.string().refine((p) => p.startsWith('/'), { message: 'an absolute path is required' });
const ms = z.number().int().min(100).max(600_000);

export const autoFailoverSettingsSchema = z
  .object({
    monitor: z
      .object({
        host,
        port: port.default(5431),
        /** The monitor's own data directory (on the monitor machine only). */
        dataDir: absolute.optional(),
        /** How fast the monitor declares a primary lost (pg_auto_failover's GUCs; its defaults when absent). */
        healthCheckPeriodMs: ms.optional(),
        healthCheckTimeoutMs: ms.optional(),
        healthCheckRetries: z.number().int().min(0).max(10).optional(),
        healthCheckRetryDelayMs: ms.optional(),
        unhealthyTimeoutMs: ms.optional(),
        /** How long a lost primary is given to demote itself before the standby is promoted. */
        demoteTimeoutMs: ms.optional(),
        /** The password of the monitor's autoctl_node role, which the keepers log in as. */
        password: secretSchema,
      })
      .strict(),
    /** This database machine (for `keeper`). */
    node: z
      .object({
        /** This machine's address as the other machines and the monitor see it. */
        host,
        port: port.default(5432),
        /** The primary's existing data directory, or an empty one on the standby. */
        dataDir: absolute,
        /** The superuser of the repository database server (the standby's copy has the same). */
        superuser: z.string().min(1).default('postgres'),
        superuserPassword: secretSchema,
        /** The service that ran this server until now: stopped, because pg_autoctl runs the server itself. */
        replacesService: z.string().min(1).default('spsetup-postgresql'),
        /** The node's name at the monitor (pg_autoctl's node_N when absent). */
        name: z
          .string()
          .regex(/^[a-z0-9_-]{1,63}$/, 'lower-case letters, digits, - and _')
          .optional(),
      })
      .strict()
      .optional(),
    /** The password of pgautofailover_replicator, the role the standby streams as. */
    replicationPassword: secretSchema,
    formation: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('default'),
    /** TLS between the machines: pg_autoctl's self-signed certificates unless the site's are given (then verify-ca). */
    tls: z.object({ certFile: absolute, keyFile: absolute, caFile: absolute }).strict().optional(),
    osUser: z.string().min(1).default('postgres'),
    /** PostgreSQL's bin directory (default /usr/lib/postgresql/15/bin: the version pg_auto_failover is built for). */
    binDir: absolute.default('/usr/lib/postgresql/15/bin'),
    pgAutoctl: absolute.default('/usr/bin/pg_autoctl'),
    stateDir: absolute,
    services: z
      .object({ manager: z.enum(['auto', 'runit', 'systemd']).default('auto'), runitDir: z.string().optional() })
      .strict()
      .default({ manager: 'auto' }),
  })
  .strict();
export type AutoFailoverSettings = z.infer<typeof autoFailoverSettingsSchema>;
export type AutoFailoverNode = NonNullable<AutoFailoverSettings['node']>;

/** Names of the secrets, as plans and journals refer to them. */
export const AUTO_FAILOVER_SECRETS = ['monitor.password', 'replicationPassword', 'node.superuserPassword'] as const;

/** The service that runs pg_autoctl (and through it the server) on a machine. */
export const KEEPER_SERVICE = 'spsetup-pg-autoctl';
export const MONITOR_SERVICE = 'spsetup-pg-autoctl-monitor';

/** Validates the settings file's text (undefined: it could not be read); a bad field is named, nothing is changed. */
export function parseAutoFailoverSettings(path: string, text: string | undefined): AutoFailoverSettings {
  let raw: unknown;
  try {
    if (text === undefined) throw new Error('not found');
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError('invalid-input', `Cannot read the settings file ${path}: ${(err as Error).message}.`, 'Check the path and that it holds JSON.');
  }
  const parsed = autoFailoverSettingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const list = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
  throw new UserError('invalid-input', `The settings file ${path} has invalid fields: ${list}.`, 'Correct the named fields and run the command again.');
}

/** The secrets by name (the node's superuser only where the file names a node). */
export async function resolveAutoFailoverSecrets(s: AutoFailoverSettings, env: NodeJS.ProcessEnv = process.env): Promise<ReadonlyMap<string, string>> {
  const out = new Map([
    ['monitor.password', await resolveSecret('monitor.password', s.monitor.password, env)],
    ['replicationPassword', await resolveSecret('replicationPassword', s.replicationPassword, env)],
  ]);
  if (s.node) out.set('node.superuserPassword', await resolveSecret('node.superuserPassword', s.node.superuserPassword, env));
  return out;
}

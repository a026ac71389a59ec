/**
 * Step kind `pg-autoctl-create`: `pg_autoctl create monitor` or `pg_autoctl create postgres`, run
 * as the server's account with pg_autoctl's folders and password file from the environment. For
 * a keeper whose data directory holds a cluster, pg_autoctl registers it with the monitor (the
 * first becomes the primary); an empty one is copied from the primary (pg_basebackup) and becomes
 * its standby. pg_autoctl resumes a create that stopped half way; once its configuration exists and
 * its init file is gone, the node is registered and there is nothing to do.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { autoctlConfigFile, autoctlEnv, autoctlHome, autoctlInitFile, ensureAutoctlHome } from './autoctl-paths.js';

const params = z
  .object({
    role: z.enum(['monitor', 'postgres']),
    home: autoctlHome,
    pgAutoctl: z.string(),
    binDir: z.string(),
    host: z.string(),
    port: z.number().int(),
    /** Keeper: the monitor's URI, without a password (it comes from the password file). */
    monitorUri: z.string().optional(),
    formation: z.string().optional(),
    name: z.string().optional(),
    superuser: z.string().optional(),
    tls: z.object({ certFile: z.string(), keyFile: z.string(), caFile: z.string() }).strict().optional(),
    timeoutMs: z.number().int().positive(),
  })
  .strict();
type Params = z.infer<typeof params>;

/** The arguments of the create command (no secret among them). */
export function createArgs(p: Params): string[] {
  const args = ['create', p.role, '--pgdata', p.home.dataDir, '--pgctl', `${p.binDir}/pg_ctl`, '--pgport', String(p.port), '--hostname', p.host, '--auth', 'scram-sha-256'];
  args.push(...(p.tls ? ['--ssl-mode', 'verify-ca', '--ssl-ca-file', p.tls.caFile, '--server-cert', p.tls.certFile, '--server-key', p.tls.keyFile] : ['--ssl-self-signed']));
  if (p.role === 'postgres') {
    if (!p.monitorUri) throw new Error('a keeper step needs the monitor URI');
    args.push('--monitor', p.monitorUri, '--username', p.superuser ?? 'postgres', '--dbname', 'postgres');
    if (p.formation) args.push('--formation', p.formation);
    if (p.name) args.push('--name', p.name);
  }
  return args;
}

const parentOf = (p: Params) => p.home.dataDir.slice(0, p.home.dataDir.lastIndexOf('/')) || '/';

async function created(p: Params, sys: System): Promise<boolean> {
  return Boolean(await sys.files.stat(autoctlConfigFile(p.home))) && !(await sys.files.stat(autoctlInitFile(p.home)));
}

const what = (p: Params) => (p.role === 'monitor' ? `the pg_auto_failover monitor on port ${p.port}` : `this server ${p.host}:${p.port} as a node of the monitor ${p.monitorUri ?? ''}`);

export const autoctlCreateStep = defineStepKind<typeof params, System>({
  kind: 'pg-autoctl-create',
  params,
  async check(p, { sys }) {
    if (await created(p, sys)) return { action: 'noop', summary: `${what(p)} is registered (${autoctlConfigFile(p.home)})` };
    const copy = p.role === 'postgres' && !(await sys.files.stat(`${p.home.dataDir}/PG_VERSION`));
    if (!(await sys.files.stat(p.home.dataDir)) && !(await sys.files.canWrite(parentOf(p), p.home.osUser))) {
      throw new UserError('permission-denied', `${p.home.osUser} cannot create ${p.home.dataDir}: it may not write in ${parentOf(p)}.`, `Give ${p.home.osUser} that folder (chown), or choose a data directory in a folder it owns.`);
    }
    return { action: 'create', summary: `pg_autoctl ${createArgs(p).join(' ')}${copy ? ' (the data directory is empty: a copy of the primary)' : ''}` };
  },
  async apply(p, { sys, log }) {
    if (await created(p, sys)) return;
    // pg_autoctl keeps its copies (pg_basebackup, pg_rewind) in a backup folder beside the data directory.
    await ensureAutoctlHome(sys, p.home);
    await sys.files.ensureDir(`${parentOf(p)}/backup`, { owner: p.home.osUser, mode: 0o700 });
    log(`pg_autoctl ${createArgs(p).join(' ')}`);
    await sys.processes.run(p.pgAutoctl, createArgs(p), { user: p.home.osUser, env: autoctlEnv(p.home), cwd: '/', timeoutMs: p.timeoutMs });
  },
  async verify(p, { sys }) {
    if (!(await created(p, sys))) throw new UserError('verify-failed', `pg_autoctl did not finish creating ${what(p)}.`, 'Read the log above, fix the cause and run the command again: pg_autoctl continues where it stopped.');
  },
});

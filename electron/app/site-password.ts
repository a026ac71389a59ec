/**
 * `spsetup site password rotate` (issue 15): a new repository password set on the server as a
 * SCRAM verifier and pushed sealed to every node's connection string through its agent (each
 * node's services restarted in order, its agent reconnecting); then the old password is tried and
 * must be refused.
 */
import { parseConnectionString } from '../shared/connection-string.js';
import { UserError } from '../shared/errors.js';
import type { Settings } from '../shared/settings.js';
import type { SiteOperationPlan, SiteOperationResult } from '../shared/site.js';
import type { InstallerContext } from '../features/installer/installer.js';
import { layoutFor } from '../features/installer/installer.js';
import { resolveSecrets } from '../features/installer/load-settings.js';
import { repositoryCa } from '../features/tls/plan-tls.js';
import type { PgConnectOptions } from '../system/postgres/index.js';
import { runSiteOperation } from './site-operations.js';

export interface RotateResult {
  readonly switched: SiteOperationResult;
  /** The old password was tried after the rotation and the server refused it. */
  readonly oldRefused: boolean;
}

/** How this node connects now: its connection string when readable, else its settings. */
async function currentOptions(settings: Settings, ctx: InstallerContext): Promise<PgConnectOptions> {
  const layout = layoutFor(settings, ctx);
  const text = await ctx.sys.secretStore.get(layout.connectionStringFile).catch(() => undefined);
  const db = settings.database;
  if (text === undefined) {
    const secrets = await resolveSecrets(settings, ctx.env ?? process.env);
    return { host: db.host, port: db.port, user: db.user, password: secrets.get('database.password') ?? '', database: db.name, ssl: db.ssl, ...repositoryCa(settings, layout.dataDir), timeoutMs: 10_000 };
  }
  const f = parseConnectionString(text);
  const verify = f.sslMode === 'VerifyFull' || f.sslMode === 'VerifyCA';
  const ssl = f.sslMode === 'Require' ? 'require' : verify ? 'verify-full' : f.sslMode === undefined ? db.ssl : 'disable';
  return { host: f.host, port: f.port, user: f.userId, password: f.password, database: f.database, ssl, ...(verify && f.rootCertificate ? { caFile: f.rootCertificate } : {}), timeoutMs: 10_000 };
}

/** Rotates the repository role's password across the site; refuses an unchanged or empty one before any change. */
export async function rotateSitePassword(
  settings: Settings,
  ctx: InstallerContext,
  request: { readonly password: string; readonly timeoutSeconds?: number; readonly onPlan?: (plan: SiteOperationPlan) => void },
): Promise<RotateResult> {
  if (!request.password) throw new UserError('invalid-input', 'The new password is empty. Nothing was changed.', 'Give a non-empty password.');
  const before = await currentOptions(settings, ctx);
  if (before.password === request.password) throw new UserError('invalid-input', 'The new password is the one in use. Nothing was changed.', 'Give a new password.');
  const switched = await runSiteOperation(
    settings,
    ctx,
    { action: { kind: 'connection', password: request.password, restart: true }, ...(request.timeoutSeconds !== undefined ? { timeoutSeconds: request.timeoutSeconds } : {}) },
    request.onPlan ? { onPlan: request.onPlan } : {},
  );
  let oldRefused = false;
  try {
    const conn = await ctx.sys.postgres.connect(before);
    await conn.close();
  } catch (err) {
    // 28P01 becomes this UserError (see toPgUserError): the server refused the old password.
    oldRefused = err instanceof UserError && /refused the password/.test(err.message);
  }
  return { switched, oldRefused };
}

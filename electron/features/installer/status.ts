/** The state of the cluster as a node sees it: the registered nodes and this node's services. */
import type { StatusResult } from '../../shared/ipc.js';
import type { Settings } from '../../shared/settings.js';
import type { InstallerContext } from './installer.js';
import { layoutFor } from './installer.js';
import { resolveSecrets } from './load-settings.js';
import { repositoryCa } from '../tls/plan-tls.js';

/** Registered nodes (from the shared repository database) and this node's services. */
export async function readStatus(settings: Settings, ctx: InstallerContext): Promise<StatusResult & { readonly database: string }> {
  const layout = layoutFor(settings, ctx);
  const secrets = await resolveSecrets(settings, ctx.env ?? process.env);
  const db = settings.database;
  const services = await Promise.all(layout.services.map(async (s) => ({ name: s.def.name, state: await ctx.sys.services.status(s.def.name) })));
  const conn = await ctx.sys.postgres.connect({ host: db.host, port: db.port, user: db.user, password: secrets.get('database.password') ?? '', database: db.name, ssl: db.ssl, ...repositoryCa(settings, layout.dataDir), timeoutMs: 10_000 });
  try {
    const rows = layout.manifest.nodesQuery ? await conn.query<{ hostname: string; is_central: boolean; last_seen: Date | string | null }>(layout.manifest.nodesQuery) : [];
    const nodes = rows.map((r) => ({
      hostname: r.hostname,
      isCentral: Boolean(r.is_central),
      lastSeen: r.last_seen instanceof Date ? r.last_seen.toISOString() : (r.last_seen ?? ''),
    }));
    return { database: `${db.name} on ${db.host}:${db.port}`, nodes, services };
  } finally {
    await conn.close();
  }
}

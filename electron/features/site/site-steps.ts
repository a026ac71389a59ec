/**
 * Install steps for site operations: the site key (made on the central node, given to rim nodes by
 * the bundle) and spsetup's schema in the repository database (a versioned migration).
 */
import { z } from 'zod';
import { UserError } from '../../shared/errors.js';
import { defineStepKind } from '../../engine/step-kind.js';
import type { System } from '../../system/system.js';
import { repositoryConnection } from '../installer/steps/params.js';
import { migrateSiteSchema, SITE_SCHEMA_VERSION, siteSchemaVersion } from './schema.js';
import { generateSiteKey, parseSiteKey } from './site-key.js';

const siteKeyParams = z.object({
  path: z.string(),
  /** The key given to a joining node (a secret name); absent on the central node, which makes one. */
  given: z.object({ secret: z.string() }).optional(),
});

async function storedKey(sys: System, path: string): Promise<string | undefined> {
  const text = await sys.secretStore.get(path).catch(() => undefined);
  return text === undefined ? undefined : text.trim();
}

/** The `site-key` step kind: the protected site key file, readable by administrators only. */
export const siteKeyStep = defineStepKind<typeof siteKeyParams, System>({
  kind: 'site-key',
  params: siteKeyParams,
  async check(p, { sys, secret }) {
    const current = await storedKey(sys, p.path);
    if (p.given) {
      const wanted = secret(p.given.secret).trim();
      if (current === wanted) return { action: 'noop', summary: 'The site key is stored' };
      return { action: current === undefined ? 'create' : 'update', summary: `Store the site key from the cluster in ${p.path} (administrators only)` };
    }
    if (current !== undefined) return { action: 'noop', summary: 'The site key is stored (kept: the other nodes hold it too)' };
    return { action: 'create', summary: `Make a new site key in ${p.path} (administrators only)` };
  },
  async apply(p, { sys, secret }) {
    const current = await storedKey(sys, p.path);
    const value = p.given ? secret(p.given.secret).trim() : (current ?? generateSiteKey());
    parseSiteKey(value);
    if (value !== current) await sys.secretStore.put(p.path, value);
    return { created: current === undefined };
  },
  async verify(p, { sys }) {
    const current = await storedKey(sys, p.path);
    if (current === undefined) throw new UserError('verify-failed', `The site key ${p.path} is missing.`, 'Resume to store it again.');
    parseSiteKey(current);
    const stat = await sys.files.stat(p.path);
    if (sys.platform !== 'win32' && stat && (stat.mode & 0o077) !== 0) {
      throw new UserError('verify-failed', `${p.path} can be read by other accounts (mode ${(stat.mode & 0o777).toString(8)}).`, 'Resume to protect it again.');
    }
  },
  async undo(p, { sys }, record) {
    if (record?.['created']) {
      await sys.files.remove(p.path);
      return undefined;
    }
    return { kept: `${p.path} held a site key before: the key stored over it cannot be brought back` };
  },
});

const schemaParams = z.object({ repository: repositoryConnection });

/** The `site-schema` step kind: spsetup's schema in the repository database, at this version. */
export const siteSchemaStep = defineStepKind<typeof schemaParams, System>({
  kind: 'site-schema',
  params: schemaParams,
  async check(p, { sys, secret }) {
    const version = await withConnection(sys, p, secret, siteSchemaVersion).catch(() => 0);
    if (version >= SITE_SCHEMA_VERSION) return { action: 'noop', summary: `spsetup's site schema is at version ${version}` };
    return { action: version === 0 ? 'create' : 'update', summary: `Site schema "spsetup" in ${p.repository.database}: version ${version} -> ${SITE_SCHEMA_VERSION}` };
  },
  async apply(p, { sys, secret }) {
    await withConnection(sys, p, secret, migrateSiteSchema);
  },
  async verify(p, { sys, secret }) {
    const version = await withConnection(sys, p, secret, siteSchemaVersion);
    if (version < SITE_SCHEMA_VERSION) throw new UserError('verify-failed', `The site schema is at version ${version}, not ${SITE_SCHEMA_VERSION}.`, 'Resume to migrate it again.');
  },
});

async function withConnection<T>(sys: System, p: z.infer<typeof schemaParams>, secret: (name: string) => string, fn: (conn: Awaited<ReturnType<System['postgres']['connect']>>) => Promise<T>): Promise<T> {
  const conn = await sys.postgres.connect({ ...p.repository, password: secret(p.repository.password.secret), timeoutMs: 10_000 });
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}

/**
 * What a settings bundle carries: exactly what a rim node needs to join the cluster, taken from the
 * central node's settings, and turned back into a join settings document on the rim node.
 */
import { z } from 'zod';
import { DATABASE_SSL, isHost, MAX_NODES, pemCertificateSchema, shareFolders, settingsSchema } from '../../shared/settings.js';
import type { Platform, Settings, SettingsInput } from '../../shared/settings.js';
import { UserError } from '../../shared/errors.js';

/** Shown in place of a secret. */
export const MASK = '••••••••';

export const bundleContentsSchema = z
  .object({
    product: z.object({ id: settingsSchema.shape.product, version: z.string().min(1) }).strict(),
    clusterId: z.string().min(1),
    plannedNodes: z.number().int().min(1).max(MAX_NODES),
    database: z
      .object({
        host: z.string().refine(isHost, { message: 'not a host name or IP address' }),
        port: z.number().int().min(1).max(65535),
        name: z.string().min(1),
        user: z.string().min(1),
        password: z.string(),
        ssl: z.enum(DATABASE_SSL),
        caCert: pemCertificateSchema.optional(),
      })
      .strict(),
    share: z
      .object({
        root: z.string().min(1),
        apps: z.string().min(1),
        archivedLogs: z.string().min(1),
        customData: z.string().min(1),
        staticContent: z.string().min(1),
      })
      .strict(),
    /** The site key (authenticates site operations; made on the central node). Absent in bundles from before it existed. */
    siteKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'not a site key (43 base64url characters)').optional(),
  })
  .strict();

/** The decrypted payload of a bundle. */
export type BundleContents = z.output<typeof bundleContentsSchema>;

export interface BundleSource {
  readonly clusterId: string;
  readonly productVersion: string;
  /** The plain repository database password, resolved by the caller (never read here). */
  readonly password: string;
  /** PEM CA certificate the database server's certificate is signed by; only with SSL on. */
  readonly caCert?: string;
  /** Platform used to derive share sub folders that the settings leave implicit. */
  readonly platform: Platform;
  /** The central node's site key, read by the caller from its protected file. */
  readonly siteKey?: string;
}

/** Builds the bundle contents from the central node's settings. */
export function bundleContentsFromSettings(settings: Settings, source: BundleSource): BundleContents {
  if (source.caCert !== undefined && settings.database.ssl === 'disable') {
    throw new UserError('bundle', 'A CA certificate was given but the database does not use SSL (database.ssl is "disable").', 'Leave the CA certificate out, or set database.ssl to "require" or "verify-full".');
  }
  const folders = shareFolders(settings.share, source.platform);
  const candidate = {
    product: { id: settings.product, version: source.productVersion },
    clusterId: source.clusterId,
    plannedNodes: settings.plannedNodes,
    database: {
      host: settings.database.host,
      port: settings.database.port,
      name: settings.database.name,
      user: settings.database.user,
      password: source.password,
      ssl: settings.database.ssl,
      ...(source.caCert !== undefined ? { caCert: source.caCert } : {}),
    },
    share: { ...folders },
    ...(source.siteKey !== undefined ? { siteKey: source.siteKey.trim() } : {}),
  };
  const parsed = bundleContentsSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.map(String).join('.') : '';
    throw new UserError('bundle', `Cannot build the settings bundle: ${where ? `${where}: ` : ''}${issue?.message ?? 'invalid contents'}.`, 'Check the settings file.');
  }
  return parsed.data;
}

/** What belongs to this rim node alone and so is not in the bundle. */
export interface LocalNodeSettings {
  readonly hostname: string;
  readonly serviceAccount: SettingsInput['serviceAccount'];
  readonly installDir?: string;
  readonly dataDir?: string;
  readonly stateDir?: string;
  readonly startServices?: boolean;
  readonly services?: SettingsInput['services'];
}

/** A join settings document for this node from a bundle (the CA certificate as database.tls.ca, for the plan to write). */
export function settingsFromBundle(contents: BundleContents, local: LocalNodeSettings): SettingsInput {
  return {
    product: contents.product.id,
    cluster: { mode: 'join', id: contents.clusterId, ...(contents.siteKey !== undefined ? { siteKey: contents.siteKey } : {}) },
    database: {
      install: 'existing',
      host: contents.database.host,
      port: contents.database.port,
      name: contents.database.name,
      user: contents.database.user,
      password: contents.database.password,
      ssl: contents.database.ssl,
      ...(contents.database.caCert !== undefined ? { tls: { ca: contents.database.caCert } } : {}),
    },
    share: { ...contents.share },
    hostname: local.hostname,
    serviceAccount: { ...local.serviceAccount },
    plannedNodes: contents.plannedNodes,
    ...(local.installDir !== undefined ? { installDir: local.installDir } : {}),
    ...(local.dataDir !== undefined ? { dataDir: local.dataDir } : {}),
    ...(local.stateDir !== undefined ? { stateDir: local.stateDir } : {}),
    ...(local.startServices !== undefined ? { startServices: local.startServices } : {}),
    ...(local.services !== undefined ? { services: local.services } : {}),
  };
}

/** The contents for display: the password and the site key masked (the CA certificate is public and kept). */
export function maskBundleContents(contents: BundleContents): BundleContents {
  return { ...contents, database: { ...contents.database, password: MASK }, ...(contents.siteKey !== undefined ? { siteKey: MASK } : {}) };
}

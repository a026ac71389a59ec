/**
 * Site operations as every front end asks for them (`spsetup site ...`, the wizard's Site screen):
 * the request (checked here, before anything connects), the plan shown before it runs, and each
 * node's outcome. The operations the node agents run are in electron/features/site/operations.ts.
 */
import { z } from 'zod';
import { SSL_MODES, type ConnectionFields } from './connection-string.js';
import { decodeXmlEscapes } from './xml-text.js';

/** The service cluster folders an operation may set (the ServiceClusterTool's fields). */
export const SITE_FOLDERS = ['root', 'apps', 'archivedLogs', 'customData', 'staticContent'] as const;
export type SiteFolder = (typeof SITE_FOLDERS)[number];

/** Bounds of an operation: how long each node has to answer. */
export const SITE_TIMEOUT_SECONDS = { min: 1, max: 3600, default: 60 } as const;

const nodeName = z.string().trim().min(1, 'a node name is empty').max(253);
const folderPath = z
  .string()
  .max(4096)
  .refine((v) => v.trim() !== '', { message: 'a folder must not be empty' })
  .refine((v) => !/[\u0000-\u001f]/.test(v), { message: 'a folder must not hold control characters' });

export const siteActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('services'), action: z.enum(['stop', 'start', 'restart'], { message: 'services takes stop, start or restart' }) }).strict(),
  z
    .object({
      kind: z.literal('connection'),
      host: z.string().trim().min(1, 'the host must not be empty').max(253).optional(),
      port: z.number({ message: 'the port is a whole number from 1 to 65535' }).int('the port is a whole number from 1 to 65535').min(1, 'the port is a whole number from 1 to 65535').max(65535, 'the port is a whole number from 1 to 65535').optional(),
      sslMode: z.enum(SSL_MODES, { message: `the SSL mode is one of ${SSL_MODES.join(', ')}` }).optional(),
      /** The repository role's new password (sealed with the site key before it leaves this node). */
      password: z.string().min(1, 'the password must not be empty').max(1024).refine((v) => !/[\u0000\r\n]/.test(v), { message: 'the password must not hold NUL, CR or LF' }).optional(),
      /** The CA certificate (PEM) a VerifyCA/VerifyFull node trusts: written on each node, its path put in Root Certificate. */
      rootCertificate: z.string().min(1).max(65536).refine((v) => /^-----BEGIN CERTIFICATE-----/m.test(v), { message: 'the root certificate is a PEM certificate' }).optional(),
      /** Restart the product services so they reconnect (default true). */
      restart: z.boolean().optional(),
    })
    .strict()
    .refine((c) => c.host !== undefined || c.port !== undefined || c.sslMode !== undefined || c.password !== undefined || c.rootCertificate !== undefined, { message: 'set at least one of host, port, SSL mode, password' }),
  z
    .object({ kind: z.literal('folders'), folders: z.object(Object.fromEntries(SITE_FOLDERS.map((n) => [n, folderPath.optional()])) as Record<SiteFolder, z.ZodOptional<typeof folderPath>>).strict() })
    .strict()
    .refine((f) => Object.values(f.folders).some((v) => v !== undefined), { message: 'set at least one folder' }),
  /** The repository database endpoints each agent holds (the primary and its standbys). */
  z
    .object({ kind: z.literal('endpoints'), endpoints: z.array(z.object({ host: z.string().trim().min(1).max(253), port: z.number().int().min(1).max(65535) }).strict()).min(1, 'give at least one endpoint').max(8, 'at most 8 endpoints') })
    .strict(),
]);
export type SiteAction = z.infer<typeof siteActionSchema>;

/** One site operation as asked for: what, on which nodes (all when absent), within what bound. */
export const siteOperationInputSchema = z
  .object({
    action: siteActionSchema,
    nodes: z.array(nodeName).max(64).optional(),
    timeoutSeconds: z.number().int('the timeout is a whole number of seconds').min(SITE_TIMEOUT_SECONDS.min, 'the timeout is 1 to 3600 seconds').max(SITE_TIMEOUT_SECONDS.max, 'the timeout is 1 to 3600 seconds').optional(),
  })
  .strict();
export type SiteOperationInput = z.infer<typeof siteOperationInputSchema>;

/** A node as the site status shows it. */
export interface SiteNodeInfo {
  readonly hostname: string;
  readonly isCentral: boolean;
  readonly spsetupVersion: string;
  readonly product: string;
  readonly productVersion: string;
  /** The repository database endpoint its agent uses (host:port). */
  readonly endpoint: string;
  readonly services: readonly { readonly name: string; readonly state: string }[];
  readonly heartbeatAgeMs: number;
  /** False when the heartbeat is older than three intervals. */
  readonly reachable: boolean;
  /** Registered in the product's repository (null when the node does not report it). */
  readonly registered: boolean | null;
}

/** The certificate the repository database presents (issue 15: its expiry in the site's status). */
export interface DatabaseCertificate {
  readonly subject: string;
  /** ISO instant the certificate ends. */
  readonly notAfter: string;
  /** Whole days left (negative once it has ended). */
  readonly daysLeft: number;
}

export interface SiteStatus {
  /** The repository database, as "QSR on host:port". */
  readonly database: string;
  readonly nodes: readonly SiteNodeInfo[];
  /** Absent when the server does not use SSL or its certificate could not be read. */
  readonly databaseCertificate?: DatabaseCertificate;
}

/** What an operation will do on one node. */
export interface SitePlanNode {
  readonly hostname: string;
  readonly isCentral: boolean;
  readonly reachable: boolean;
  readonly steps: readonly string[];
}

/** The plan of a site operation, shown before it runs (never a secret). */
export interface SiteOperationPlan {
  /** A hash of what the plan shows: the run is refused as stale when it no longer matches. */
  readonly id: string;
  readonly title: string;
  readonly database: string;
  /** Done on this node before the operation is sent (e.g. the role's new password). */
  readonly before: readonly string[];
  readonly nodes: readonly SitePlanNode[];
  readonly timeoutMs: number;
  readonly warnings: readonly string[];
}

/** A node's answer to an operation, or why there is none. */
export interface NodeOutcome {
  readonly hostname: string;
  readonly state: 'running' | 'done' | 'failed' | 'refused' | 'expired' | 'pending' | 'unreachable' | 'timed-out';
  readonly message: string;
  readonly details?: unknown;
}

/** Final when the node will not report again for this operation. */
export function isFinalOutcome(o: NodeOutcome): boolean {
  return o.state !== 'running' && o.state !== 'pending';
}

export interface SiteOperationResult {
  readonly operationId: string;
  readonly outcomes: readonly NodeOutcome[];
  /** True when every node answered done. */
  readonly ok: boolean;
}

/** A node's connection string as site operations show it: every field but the password, which is only said to be set. */
export interface MaskedConnection {
  readonly userId: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly sslMode: string | null;
  readonly passwordSet: boolean;
  /** The password is held with XML escapes (the guide's warning): shown decoded, never as text. */
  readonly xmlEscaped: boolean;
}

/** Masks a parsed connection string (the password never leaves the node). */
export function maskConnection(f: ConnectionFields): MaskedConnection {
  return { userId: f.userId, host: f.host, port: f.port, database: f.database, sslMode: f.sslMode ?? null, passwordSet: f.password !== '', xmlEscaped: decodeXmlEscapes(f.password) !== f.password };
}

/** One node's connection string and service cluster folders, as its agent reported them (or why it did not). */
export interface SiteNodeSettings {
  readonly hostname: string;
  readonly isCentral: boolean;
  readonly outcome: NodeOutcome['state'];
  readonly message: string;
  readonly connection?: MaskedConnection;
  readonly folders?: Readonly<Record<SiteFolder, string>>;
}

export interface SiteSettingsReport {
  readonly database: string;
  readonly nodes: readonly SiteNodeSettings[];
}

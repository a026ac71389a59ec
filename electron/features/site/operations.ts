/**
 * The closed set of site operations: a `kind`-tagged union, each checked by its schema. The
 * payload text is what the site key signs; it carries the id, targets, bound and body, so a copied
 * row cannot be retargeted or replayed under another id. Later issues add kinds here.
 */
import { z } from 'zod';
import { SSL_MODES } from '../../shared/connection-string.js';
import { SITE_FOLDERS as folderNames, type SiteFolder as FolderName } from '../../shared/site.js';

export { folderNames, type FolderName };

const sealed = z.object({ sealed: z.string().min(1) }).strict();

export const operationBodySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('services'), action: z.enum(['stop', 'start', 'restart']) }).strict(),
  z
    .object({
      kind: z.literal('connection'),
      fields: z
        .object({
          host: z.string().min(1).optional(),
          port: z.number().int().min(1).max(65535).optional(),
          sslMode: z.enum(SSL_MODES).optional(),
          password: sealed.optional(),
          /** The CA (PEM, public) a VerifyFull node trusts; written next to its data, named in Root Certificate. */
          rootCertificate: z.string().min(1).max(65536).optional(),
        })
        .strict(),
      /** Restart the product services so they reconnect with the new string. */
      restart: z.boolean(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('folders'),
      folders: z.object(Object.fromEntries(folderNames.map((n) => [n, z.string().min(1).optional()])) as Record<FolderName, z.ZodOptional<z.ZodString>>).strict(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('endpoints'),
      /** The repository database's servers, primary first: the agent follows whichever is the current primary. */
      endpoints: z.array(z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }).strict()).min(1).max(8),
    })
    .strict(),
  z.object({ kind: z.literal('status') }).strict(),
  z.object({ kind: z.literal('diagnostics'), logLines: z.number().int().min(1).max(1000) }).strict(),
  /** To the central node: start the registration of a rim node; the one-time password comes back sealed. */
  z.object({ kind: z.literal('register-node'), hostname: z.string().min(1).max(253) }).strict(),
]);
export type OperationBody = z.infer<typeof operationBodySchema>;
export type OperationKind = OperationBody['kind'];

export const operationPayloadSchema = z
  .object({
    id: z.string().uuid(),
    targets: z.array(z.string().min(1)).min(1),
    requestedAt: z.string().datetime(),
    requestedBy: z.string().min(1),
    /** After this instant no node starts the operation (it reports `expired` instead). */
    deadline: z.string().datetime(),
    body: operationBodySchema,
  })
  .strict();
export type OperationPayload = z.infer<typeof operationPayloadSchema>;

/** The states of one node's result; a node with no result by the deadline is unreachable. */
export type ResultState = 'running' | 'done' | 'failed' | 'refused' | 'expired';

/** One line describing an operation for people (never a secret). */
export function describeOperation(body: OperationBody): string {
  switch (body.kind) {
    case 'services':
      return `${body.action} the services`;
    case 'connection':
      return `set connection string ${Object.keys(body.fields).join(', ')}`;
    case 'folders':
      return `set folders ${Object.keys(body.folders).join(', ')}`;
    case 'endpoints':
      return `set the database endpoints ${body.endpoints.map((e) => `${e.host}:${e.port}`).join(', ')}`;
    case 'status':
      return 'report status';
    case 'diagnostics':
      return 'collect diagnostics';
    case 'register-node':
      return `start the registration of ${body.hostname}`;
  }
}

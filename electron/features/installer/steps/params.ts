/** Parameter schemas the installer's step kinds share. */
import { z } from 'zod';
import { DATABASE_SSL } from '../../../shared/settings.js';

/** A secret referred to by name; the runner supplies its value at apply time. */
export const secretRef = z.object({ secret: z.string() });

export const repositoryConnection = z.object({
  host: z.string(),
  port: z.number().int(),
  user: z.string(),
  database: z.string(),
  password: secretRef,
  ssl: z.enum(DATABASE_SSL).default('disable'),
  /** The CA a verify-full connection trusts (a file on this node). */
  caFile: z.string().optional(),
});
export type RepositoryConnection = z.infer<typeof repositoryConnection>;

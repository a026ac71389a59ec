/**
 * Step kind: the guide's "Copying content to shared folders": each local content folder into its
 * share folder, every file verified by size and SHA-256, resumable (finished files are not copied
 * again). On success it writes the manifest the TRUNCATE step requires.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { copyFolders, describeSurvey, manifestCoversSources, missingFiles, readManifest, surveyFolders, writeManifest } from './content-copy.js';

const params = z.object({
  folders: z.array(z.object({ id: z.string(), label: z.string(), source: z.string(), target: z.string() })),
  /** Written once every file is verified on the share. */
  manifestPath: z.string(),
  owner: z.string().optional(),
});

/** The `migration-copy-content` step kind. */
export const copyToShareStep = defineStepKind<typeof params, System>({
  kind: 'migration-copy-content',
  params,
  async check(p) {
    const manifest = await readManifest(p.manifestPath);
    if (manifest && (await missingFiles(p.folders, manifest)).length === 0 && (await manifestCoversSources(p.folders, manifest))) {
      return { action: 'noop', summary: `Content is on the share and verified (${manifest.files.length} file(s))` };
    }
    return { action: 'create', summary: `Copy to the share: ${describeSurvey(p.folders, await surveyFolders(p.folders))}` };
  },
  async apply(p, ctx) {
    const manifest = await copyFolders(p.folders, join(ctx.stateDir, 'migration', 'copy-journal'), ctx);
    if (p.owner) {
      for (const f of p.folders) {
        if (!manifest.skippedFolders.includes(f.id)) await ctx.sys.files.setAccess(f.target, { owner: p.owner }, true);
      }
    }
    await writeManifest(ctx, p.manifestPath, manifest);
  },
  async verify(p) {
    const manifest = await readManifest(p.manifestPath);
    if (!manifest) throw new UserError('verify-failed', 'The content copy has no verified manifest.', 'Resume the migration to finish the copy.');
    const missing = await missingFiles(p.folders, manifest);
    if (missing.length) throw new UserError('verify-failed', `${missing.length} file(s) are missing on the share, e.g. ${missing[0]}.`, 'Resume the migration to copy them again.');
    if (!(await manifestCoversSources(p.folders, manifest))) {
      throw new UserError('verify-failed', 'Files were added to the local content folders after the copy.', 'Stop the services and resume the migration to copy them.');
    }
  },
});

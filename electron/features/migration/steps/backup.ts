/**
 * Step kind: the backup the guide asks for before anything moves: a dump of the repository
 * database made with the server's own pg_dump, and a verified copy of the content folders. Verify
 * proves the dump is restorable (pg_restore --list reads it) and the content copy is complete.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { dbLogin } from './common.js';
import { formatBytes } from '../../../shared/format.js';
import { copyFolders, describeSurvey, manifestCoversSources, missingFiles, readManifest, surveyFolders, writeManifest, type FolderCopy } from './content-copy.js';

const folder = z.object({ id: z.string(), label: z.string(), source: z.string(), target: z.string() });
const params = z.object({
  backupDir: z.string(),
  database: dbLogin.extend({ binDir: z.string() }),
  folders: z.array(folder),
});
type Params = z.infer<typeof params>;

export const DUMP_FILE = 'repository.dump';
export const CONTENT_MANIFEST = 'content-manifest.json';

async function dumpListing(p: Params, ctx: StepContext<System>): Promise<string> {
  const res = await ctx.sys.processes.run(join(p.database.binDir, 'pg_restore'), ['--list', join(p.backupDir, DUMP_FILE)], { allowFailure: true, timeoutMs: 120_000 });
  if (res.code !== 0) throw new UserError('verify-failed', `The database dump ${join(p.backupDir, DUMP_FILE)} cannot be read by pg_restore: ${res.stderr.trim().split('\n')[0] ?? ''}`, 'Make the backup again (resume the migration).');
  return res.stdout;
}

async function backupComplete(p: Params): Promise<boolean> {
  const manifest = await readManifest(join(p.backupDir, CONTENT_MANIFEST));
  const folders = p.folders as FolderCopy[];
  return manifest !== undefined && (await missingFiles(folders, manifest)).length === 0 && (await manifestCoversSources(folders, manifest));
}

/** The `migration-backup` step kind. */
export const backupStep = defineStepKind<typeof params, System>({
  kind: 'migration-backup',
  params,
  async check(p, ctx) {
    const survey = await surveyFolders(p.folders);
    if (await backupComplete(p)) {
      const listing = await dumpListing(p, ctx).catch(() => undefined);
      if (listing !== undefined) return { action: 'noop', summary: `Backup in ${p.backupDir} is complete and verified` };
    }
    return { action: 'create', summary: `Back up database ${p.database.database} (pg_dump) and content: ${describeSurvey(p.folders, survey)} to ${p.backupDir}` };
  },
  async apply(p, ctx) {
    const { sys } = ctx;
    await sys.files.ensureDir(p.backupDir, { mode: 0o700 });
    const password = ctx.secret(p.database.password.secret);
    const dump = join(p.backupDir, DUMP_FILE);
    const res = await sys.processes.run(
      join(p.database.binDir, 'pg_dump'),
      ['--format=custom', '--no-password', '-h', p.database.host, '-p', String(p.database.port), '-U', p.database.user, '-f', dump, p.database.database],
      { env: { PGPASSWORD: password }, secrets: [password], allowFailure: true, timeoutMs: 30 * 60_000 },
    );
    if (res.code !== 0) throw new UserError('database', `pg_dump of ${p.database.database} failed: ${res.stderr.trim().split('\n')[0] ?? ''}`, 'Check that the repository database runs, then resume.');
    await sys.files.setAccess(dump, { mode: 0o600 });
    ctx.log(`Database dump written to ${dump}.`);
    const manifest = await copyFolders(p.folders, join(ctx.stateDir, 'migration', 'backup-journal'), ctx);
    await writeManifest(ctx, join(p.backupDir, CONTENT_MANIFEST), manifest);
    ctx.log(`Content backed up: ${manifest.files.length} file(s), ${formatBytes(manifest.bytes)}.`);
  },
  async verify(p, ctx) {
    const listing = await dumpListing(p, ctx);
    if (!/TABLE DATA/.test(listing)) throw new UserError('verify-failed', 'The database dump holds no table data.', 'Check the repository database, then resume.');
    if (!(await backupComplete(p))) throw new UserError('verify-failed', `The content backup in ${p.backupDir} is incomplete.`, 'Resume the migration to finish the backup.');
  },
});

/**
 * Step kind: the repository configured for shared persistence (the guide's ServiceClusterTool and
 * ConnectionStringEditor steps): SharedPersistence=true, the current release, the share folders and
 * the connection string. The diff masks the password; the file stays 0600; the old one is backed up.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { contentBasis } from '../../../engine/basis.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { unifiedDiff } from '../../../system/text-diff.js';
import { formatConnectionString, parseConnectionString } from '../../../shared/connection-string.js';
import { parseRepositoryConfig, renderRepositoryConfig, type RepositoryConfig } from '../repository-config.js';
import { secretRef } from './common.js';

const params = z.object({
  path: z.string(),
  release: z.string(),
  share: z.object({ root: z.string(), apps: z.string(), archivedLogs: z.string(), customData: z.string(), staticContent: z.string() }),
  connection: z.object({ userId: z.string(), host: z.string(), port: z.number().int(), database: z.string() }),
  password: secretRef,
});
type Params = z.infer<typeof params>;

const MASK = '********';

function wanted(p: Params, password: string, current: RepositoryConfig | undefined): RepositoryConfig {
  const old = current ? parseConnectionString(current.connectionString) : undefined;
  return {
    sharedPersistence: true,
    release: p.release,
    appSettings: {
      ...(current?.appSettings ?? {}),
      RootFolder: p.share.root,
      AppsFolder: p.share.apps,
      ArchivedLogsFolder: p.share.archivedLogs,
      CustomDataFolder: p.share.customData,
      StaticContentFolder: p.share.staticContent,
    },
    connectionString: formatConnectionString({ ...(old ?? {}), ...p.connection, password }),
  };
}

async function state(p: Params, ctx: StepContext<System>) {
  const text = await ctx.sys.files.readText(p.path);
  const current = text === undefined ? undefined : parseRepositoryConfig(text);
  const password = ctx.secret(p.password.secret);
  const want = wanted(p, password, current);
  const masked = (c: RepositoryConfig) => renderRepositoryConfig({ ...c, connectionString: c.connectionString.split(password).join(MASK) });
  return { text, current, want, wantText: renderRepositoryConfig(want), maskedBefore: current ? masked({ ...current, connectionString: current.connectionString.replace(/Password='(?:[^']|'')*'/, `Password='${MASK}'`) }) : '', maskedAfter: masked(want) };
}

/** The `migration-repository-config` step kind. */
export const repositoryConfigStep = defineStepKind<typeof params, System>({
  kind: 'migration-repository-config',
  params,
  async check(p, ctx) {
    const s = await state(p, ctx);
    // The file holds the repository password: its basis is the masked text, never a digest of the secret.
    const basis = { [p.path]: contentBasis(s.text === undefined ? undefined : s.maskedBefore) };
    if (s.text === s.wantText) return { action: 'noop', summary: `${p.path} is set for shared persistence`, basis };
    return { action: s.text === undefined ? 'create' : 'update', summary: `Repository configuration for shared persistence (release ${p.release}, share ${p.share.root})`, diff: unifiedDiff(p.path, s.maskedBefore, s.maskedAfter), basis };
  },
  async apply(p, ctx) {
    const s = await state(p, ctx);
    const backup = await ctx.sys.files.backup(p.path, `${ctx.stateDir}/backups`);
    await ctx.sys.files.writeAtomic(p.path, s.wantText, { mode: 0o600 });
    return backup ? { backup } : {};
  },
  async verify(p, ctx) {
    const s = await state(p, ctx);
    if (s.text !== s.wantText) throw new UserError('verify-failed', `${p.path} does not hold the planned configuration.`, 'Resume the migration.');
  },
  async undo(p, ctx, record) {
    const backup = record?.['backup'];
    if (typeof backup !== 'string') return;
    const text = await ctx.sys.files.readText(backup);
    if (text !== undefined) await ctx.sys.files.writeAtomic(p.path, text, { mode: 0o600 });
  },
});

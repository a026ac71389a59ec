/**
 * Session rules every front end applies the same way (the CLI, the wizard's back end, the agent).
 */
import { UserError } from '../shared/errors.js';
import { lastPlanIsMigration } from '../features/migration/migration.js';

/** Refuses an installer resume or rollback when the last plan on the node is a migration: only the migration's own resume knows its steps. */
export function refuseInstallContinueAfterMigration(stateDir: string, mode: 'resume' | 'rollback'): void {
  if (!lastPlanIsMigration(stateDir)) return;
  throw new UserError(
    'invalid-input',
    `The last plan on this node is a migration to shared persistence: \`spsetup ${mode}\` does not ${mode === 'resume' ? 'continue' : 'roll back'} it.`,
    mode === 'resume'
      ? 'Run `spsetup migrate resume --settings MIGRATION_FILE` (the file given to `spsetup migrate run`), or Resume on the wizard\'s migration screen.'
      : 'Run `spsetup migrate resume --settings MIGRATION_FILE` to finish it; the backup in its backupDir holds the site as it was.',
  );
}

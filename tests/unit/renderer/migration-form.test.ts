/** The Migrate an existing site flow in the wizard's form: its screens, its checks as the user types, and the migration file it sends. */
import { describe, expect, it } from 'vitest';
import { applyDetected, computeIssues, deriveFields, initialForm, screensFor, screenTitle, toMigration } from '../../../renderer/src/lib/form.js';
import { parseRequest } from '../../../electron/shared/ipc.js';
import { migrationFileSchema } from '../../../electron/features/migration/migration-settings.js';
import type { DetectedMigration, EnvironmentInfo } from '../../../electron/shared/ipc.js';

const env: EnvironmentInfo = {
  platform: 'linux',
  hostname: 'node1.example.test',
  elevated: true,
  products: [{ id: 'reference', displayName: 'Reference', version: '1.0.0' }],
  defaults: { installDir: '/opt/reference', dataDir: '/var/lib/reference', shareRoot: '/srv/share', serviceUser: 'spsvc', stateDir: '/var/lib/spsetup' },
};

function migrating() {
  const f = initialForm(env);
  f.licenceAccepted = true;
  f.task = 'migrate';
  f.superuserPassword = 'su-pass-1';
  deriveFields(f);
  return f;
}

describe('migration form', () => {
  it('fills the database fields from detection; the central node keeps its registered name', () => {
    const found: DetectedMigration = {
      scenario: 'sync-current', title: 't', release: 'r', currentRelease: 'r',
      database: { host: 'db.example.test', port: 4432, name: 'QSR', user: 'qliksenserepository' },
      nodes: [{ hostname: 'central.example.test', isCentral: true }, { hostname: 'rim1', isCentral: false }, { hostname: 'rim2', isCentral: false }],
      tables: 1, rows: 1, unfinished: false,
    };
    const f = migrating();
    f.migrationRole = 'central';
    applyDetected(f, found);
    expect([f.dbHost, f.dbPort, f.dbName, f.dbUser, f.hostname, f.plannedNodes]).toEqual(['db.example.test', '4432', 'QSR', 'qliksenserepository', 'central.example.test', '3']);
    const rim = migrating();
    rim.migrationRole = 'rim';
    const before = rim.hostname;
    applyDetected(rim, found);
    expect(rim.hostname).toBe(before);
  });

  it('has its own screens, and the run screen says Migrating', () => {
    const f = migrating();
    expect(screensFor(f)).toEqual(['welcome', 'migrate-site', 'migrate-access', 'share', 'migration-ready', 'installing', 'finished']);
    expect(screenTitle('installing', 'migrate')).toBe('Migrating');
    expect(screenTitle('installing', 'install')).toBe('Installing');
    expect(screensFor(initialForm(env))[1]).toBe('cluster');
  });

  it('keeps the existing database: central creates the cluster on it, rim joins', () => {
    const f = migrating();
    expect(f.mode).toBe('create');
    expect(f.dbInstall).toBe('existing');
    f.migrationRole = 'rim';
    deriveFields(f);
    expect(f.mode).toBe('join');
    expect(toMigration(f).settings.cluster).toEqual({ mode: 'join' });
  });

  it('pre-fills a backup folder in the state folder, and flags an empty one or one inside the data folder or the share', () => {
    const f = migrating();
    expect(f.backupDir).toBe('/var/lib/spsetup/migration-backup');
    expect(computeIssues(f)).toEqual({});
    f.backupDir = '  ';
    expect(computeIssues(f)['migration.backupDir']).toBe('a backup folder is required');
    f.backupDir = '/var/lib/reference/backup';
    expect(computeIssues(f)['migration.backupDir']).toBe('the backup must be outside the data folder and the share');
    f.backupDir = '/srv/share/';
    expect(computeIssues(f)['migration.backupDir']).toBe('the backup must be outside the data folder and the share');
    f.backupDir = '/var/lib/reference-backup';
    expect(computeIssues(f)['migration.backupDir']).toBeUndefined();
  });

  it('needs no repository password (it is read from the node) but the superuser password on the central node', () => {
    const f = migrating();
    expect(computeIssues(f)['database.password']).toBeUndefined();
    f.superuserPassword = '';
    expect(computeIssues(f)['database.superuserPassword']).toMatch(/required to migrate the central node/);
    f.migrationRole = 'rim';
    deriveFields(f);
    expect(computeIssues(f)['database.superuserPassword']).toBeUndefined();
  });

  it('checks a typed repository password against its confirmation', () => {
    const f = migrating();
    f.dbPassword = 'new-pass-1';
    f.dbPasswordConfirm = 'new-pass-2';
    expect(computeIssues(f)['database.passwordConfirm']).toBe('the confirmation does not match the password');
  });

  it('sends the migration file that `spsetup migrate` reads, without an empty password', () => {
    const f = migrating();
    f.includeArchivedLogs = false;
    const m = toMigration(f);
    expect(parseRequest('planMigration', { migration: m }).ok).toBe(true);
    const file = migrationFileSchema.parse(m);
    expect(file).toMatchObject({ role: 'central', backupDir: '/var/lib/spsetup/migration-backup', includeArchivedLogs: false });
    const db = m.settings.database as Record<string, unknown>;
    expect(db).not.toHaveProperty('password');
    expect(db).toMatchObject({ install: 'existing', superuserPassword: 'su-pass-1', listener: expect.objectContaining({ maxConnections: 100 }) });
    expect(m.settings).toMatchObject({ installDir: '/opt/reference', dataDir: '/var/lib/reference', stateDir: '/var/lib/spsetup', share: { root: '/srv/share', apps: '/srv/share/Apps' } });
  });

  it('leaves the install flow as it was: the repository password stays required there', () => {
    const f = initialForm(env);
    f.licenceAccepted = true;
    expect(computeIssues(f)['database.password']).toBe('a password is required');
    expect(computeIssues(f)['migration.backupDir']).toBeUndefined();
  });
});

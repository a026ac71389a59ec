/** The migration's IPC payloads: what the boundary accepts and refuses before the back end sees it. */
import { describe, expect, it } from 'vitest';
import { INSTALLER_METHODS, isStreamingMethod, parseRequest } from '../../../electron/shared/ipc.js';
import { dispatchCall } from '../../../electron/main/dispatch.js';
import type { InstallerBackend } from '../../../electron/shared/ipc.js';

const settings = { product: 'reference', hostname: 'node1', installDir: '/opt/x', dataDir: '/var/x' };
const migration = { role: 'central', backupDir: '/var/backups/site', settings };

describe('migration payloads', () => {
  it('are methods of the contract, and the runs stream progress', () => {
    for (const m of ['detectMigration', 'planMigration', 'applyMigration', 'resumeMigration'] as const) expect(INSTALLER_METHODS).toContain(m);
    expect(isStreamingMethod('applyMigration')).toBe(true);
    expect(isStreamingMethod('resumeMigration')).toBe(true);
    expect(isStreamingMethod('detectMigration')).toBe(false);
    expect(isStreamingMethod('planMigration')).toBe(false);
  });

  it('accept the migration settings file as `spsetup migrate` reads it', () => {
    expect(parseRequest('detectMigration', { migration }).ok).toBe(true);
    expect(parseRequest('planMigration', { migration: { ...migration, role: 'rim', includeArchivedLogs: false } }).ok).toBe(true);
    expect(parseRequest('applyMigration', { planId: 'p1', migration }).ok).toBe(true);
    expect(parseRequest('resumeMigration', { migration }).ok).toBe(true);
  });

  it.each([
    ['a role that is neither central nor rim', 'planMigration', { migration: { ...migration, role: 'primary' } }, /migration\.role: the role is central or rim/],
    ['an empty backup folder', 'planMigration', { migration: { ...migration, backupDir: '  ' } }, /migration\.backupDir: a backup folder is required/],
    ['no settings', 'detectMigration', { migration: { role: 'central', backupDir: '/b' } }, /migration\.settings/],
    ['settings that are not an object', 'detectMigration', { migration: { ...migration, settings: 'x' } }, /settings must be an object/],
    ['an unknown field', 'planMigration', { migration: { ...migration, force: true } }, /migration/],
    ['an archived-logs flag that is not a boolean', 'planMigration', { migration: { ...migration, includeArchivedLogs: 'yes' } }, /includeArchivedLogs/],
    ['apply without a plan id', 'applyMigration', { migration }, /planId/],
    ['apply with install settings instead of a migration', 'applyMigration', { planId: 'p1', settings }, /migration|settings/],
  ] as const)('refuse %s with a message naming the field', (_what, method, payload, message) => {
    const r = parseRequest(method, payload);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid-input');
      expect(r.error.message).toMatch(message);
    }
  });

  it('a refused payload never reaches the back end', async () => {
    const calls: string[] = [];
    const backend = new Proxy({} as InstallerBackend, { get: (_t, name) => async () => void calls.push(String(name)) });
    const reply = await dispatchCall(backend, 'applyMigration', 'app://spsetup/index.html', '/app/dist/renderer/index.html', { planId: 'p1', migration: { ...migration, role: 'x' } }, () => undefined);
    expect(reply.ok).toBe(false);
    expect(calls).toEqual([]);
    const ok = await dispatchCall(backend, 'applyMigration', 'app://spsetup/index.html', '/app/dist/renderer/index.html', { planId: 'p1', migration }, () => undefined);
    expect(ok.ok).toBe(true);
    expect(calls).toEqual(['applyMigration']);
  });
});

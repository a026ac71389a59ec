import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dispatchCall } from '../../../electron/main/dispatch.js';
import { isTrustedSenderUrl } from '../../../electron/main/security.js';
import { APP_INDEX_URL } from '../../../electron/main/hardening.js';
import { INSTALLER_METHODS, parseRequest } from '../../../electron/shared/ipc.js';
import { UserError } from '../../../electron/shared/errors.js';
import { createFakeBackend } from '../../support/fake-backend.js';

const index = join('/opt/spsetup/resources/app.asar/dist/renderer', 'index.html');
const own = APP_INDEX_URL;
const settings = { product: 'reference', hostname: 'node1' };

describe('IPC payload validation', () => {
  it('accepts the documented payloads', () => {
    expect(parseRequest('environment', undefined).ok).toBe(true);
    expect(parseRequest('plan', { settings }).ok).toBe(true);
    expect(parseRequest('apply', { planId: 'p1', settings }).ok).toBe(true);
    expect(parseRequest('importBundle', { bytesBase64: 'AAAA', passphrase: 'x' }).ok).toBe(true);
    expect(parseRequest('exportBundle', { settings, expiresHours: null }).ok).toBe(true);
  });

  it.each([
    ['plan', { settings: 'not an object' }],
    ['plan', { settings, extra: 1 }],
    ['plan', undefined],
    ['apply', { settings }],
    ['apply', { planId: '', settings }],
    ['checkHostname', { hostname: 42 }],
    ['environment', { anything: true }],
    ['importBundle', { passphrase: 'x' }],
    ['importBundle', { path: '/a', bytesBase64: 'AA', passphrase: 'x' }],
    ['importBundle', { bytesBase64: '<script>', passphrase: 'x' }],
    ['exportBundle', { settings, passphrase: 'short' }],
    ['exportBundle', { settings, expiresHours: -1 }],
    ['importSpc', { text: 'x'.repeat(2 * 1024 * 1024) }],
    ['planSiteOperation', { settings, operation: { action: { kind: 'services', action: 'reboot' } } }],
    ['planSiteOperation', { settings, operation: { action: { kind: 'connection' } } }],
    ['planSiteOperation', { settings, operation: { action: { kind: 'folders', folders: { apps: 'a\nb' } } } }],
    ['planSiteOperation', { settings, operation: { action: { kind: 'services', action: 'stop' }, timeoutSeconds: 0 } }],
    ['runSiteOperation', { settings, operation: { action: { kind: 'services', action: 'stop' } } }],
    ['runSiteOperation', { settings, planId: 'p', operation: { action: { kind: 'drop-database' } } }],
  ] as const)('rejects %s with %j', (method, payload) => {
    const r = parseRequest(method, payload);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('invalid-input');
  });

  it('never echoes a payload value in the error', () => {
    const r = parseRequest('importBundle', { passphrase: 'TopSecret!', bytesBase64: 'not-base64-$$' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(JSON.stringify(r.error)).not.toContain('TopSecret');
  });

  it('has a schema for every method', () => {
    expect([...INSTALLER_METHODS].sort()).toEqual(
      ['apply', 'cancel', 'checkHostname', 'environment', 'exportBundle', 'importBundle', 'importSpc', 'plan', 'resume', 'rollback', 'saveDiagnostics', 'status', 'testDatabase', 'testShare', 'detectMigration', 'planMigration', 'applyMigration', 'resumeMigration', 'siteStatus', 'planSiteOperation', 'runSiteOperation', 'siteSettings', 'siteBackup', 'planDbPrepare', 'applyDbPrepare'].sort(),
    );
  });
});

describe('IPC sender validation', () => {
  it('trusts only the app page itself', () => {
    expect(isTrustedSenderUrl(own, index)).toBe(true);
    expect(isTrustedSenderUrl(`${own}#/ready`, index)).toBe(true);
    expect(isTrustedSenderUrl('https://evil.example/', index)).toBe(false);
    expect(isTrustedSenderUrl('file:///tmp/other.html', index)).toBe(false);
    // The page is served over app:// only: its own file:// URL is not trusted any more (issue 11, attack 10).
    expect(isTrustedSenderUrl(pathToFileURL(index).href, index)).toBe(false);
    expect(isTrustedSenderUrl('app://other/index.html', index)).toBe(false);
    expect(isTrustedSenderUrl('app://spsetup/evil.html', index)).toBe(false);
    expect(isTrustedSenderUrl('file://remote-host/opt/spsetup/resources/app.asar/dist/renderer/index.html', index)).toBe(false);
    expect(isTrustedSenderUrl('', index)).toBe(false);
    expect(isTrustedSenderUrl(undefined, index)).toBe(false);
    expect(isTrustedSenderUrl('about:blank', index)).toBe(false);
  });
});

describe('dispatchCall', () => {
  it('refuses a foreign sender without calling the back end', async () => {
    const backend = createFakeBackend();
    const reply = await dispatchCall(backend, 'environment', 'https://evil.example/', index, undefined, () => undefined);
    expect(reply).toMatchObject({ ok: false, error: { code: 'permission-denied' } });
    expect(backend.calls).toEqual([]);
  });

  it('refuses a bad payload without calling the back end', async () => {
    const backend = createFakeBackend();
    const reply = await dispatchCall(backend, 'plan', own, index, { settings: [] }, () => undefined);
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(backend.calls).toEqual([]);
  });

  it('refuses an unknown method', async () => {
    const reply = await dispatchCall(createFakeBackend(), 'constructor', own, index, undefined, () => undefined);
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
  });

  it('streams events and returns the result', async () => {
    const events: string[] = [];
    const reply = await dispatchCall(createFakeBackend(), 'apply', own, index, { planId: 'p', settings }, (e) => events.push(e.kind));
    expect(reply).toMatchObject({ ok: true, value: { outcome: 'done' } });
    expect(events[0]).toBe('run-started');
    expect(events.at(-1)).toBe('run-finished');
  });

  it('carries a UserError as message and fix, and a bug as internal', async () => {
    const backend = createFakeBackend();
    backend.status = async () => {
      throw new UserError('database', 'The database refused the password.', 'Enter the right password.');
    };
    backend.saveDiagnostics = async () => {
      throw new TypeError('boom');
    };
    expect(await dispatchCall(backend, 'status', own, index, { settings }, () => undefined)).toEqual({
      ok: false,
      error: { code: 'database', message: 'The database refused the password.', fix: 'Enter the right password.' },
    });
    expect(await dispatchCall(backend, 'saveDiagnostics', own, index, undefined, () => undefined)).toMatchObject({ ok: false, error: { code: 'internal' } });
  });
});

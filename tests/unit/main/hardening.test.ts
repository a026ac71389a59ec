/**
 * Issue 11, attack 10: the Electron binary cannot run here, so the exact hardening is tested as
 * configuration: the fuses electron-builder flips, the app:// resolver, and the handlers on a
 * stand-in WebContents and Session.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_INDEX_URL, APP_SCHEME_PRIVILEGES, lockDownContents, lockDownSession, resolveAppRequest } from '../../../electron/main/hardening.js';

const renderer = '/opt/spsetup/resources/app.asar/dist/renderer';

describe('Electron hardening', () => {
  it('packages with the fuses set (no inspect arguments, no NODE_OPTIONS, asar only and integrity-checked)', () => {
    const yml = readFileSync(join(import.meta.dirname, '../../../build/electron-builder.yml'), 'utf8');
    expect(yml).toMatch(/^asar: true$/m);
    // The electronFuses block: its indented "key: true|false" lines.
    const block = /^electronFuses:\n((?: {2}\w+: (?:true|false)\n)+)/m.exec(yml)?.[1] ?? '';
    const fuses = Object.fromEntries(block.trim().split('\n').map((l) => [l.trim().split(':')[0], l.trim().endsWith('true')]));
    expect(fuses).toEqual({
      runAsNode: true, // the elevated agent runs through it (see electron-builder.yml): not done
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('serves app:// only from the renderer folder', () => {
    expect(APP_INDEX_URL).toBe('app://spsetup/index.html');
    expect(resolveAppRequest(APP_INDEX_URL, renderer)).toBe(`${renderer}/index.html`);
    expect(resolveAppRequest('app://spsetup/assets/index-1.js', renderer)).toBe(`${renderer}/assets/index-1.js`);
    // Dot segments are normalised by the URL parser: they stay inside the renderer folder.
    expect(resolveAppRequest('app://spsetup/../../../../etc/shadow', renderer)).toBe(`${renderer}/etc/shadow`);
    for (const bad of ['app://spsetup/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fshadow', 'app://other/index.html', 'file:///etc/shadow', 'app://spsetup/a%00b', 'app://spsetup/%E0%A4%A']) {
      expect(resolveAppRequest(bad, renderer), bad).toBeUndefined();
    }
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: true, bypassCSP: false, corsEnabled: false });
  });

  it('denies navigation, frame navigation, redirects, webviews and new windows', () => {
    const listeners = new Map<string, (e: { preventDefault(): void }) => void>();
    let openHandler: (() => { action: string }) | undefined;
    lockDownContents({ on: (event, l) => listeners.set(event, l), setWindowOpenHandler: (h) => (openHandler = h) });
    expect([...listeners.keys()].sort()).toEqual(['will-attach-webview', 'will-frame-navigate', 'will-navigate', 'will-redirect']);
    for (const [event, l] of listeners) {
      let prevented = false;
      l({ preventDefault: () => (prevented = true) });
      expect(prevented, event).toBe(true);
    }
    expect(openHandler?.()).toEqual({ action: 'deny' });
  });

  it('answers every permission check and request with no', () => {
    let check: (() => boolean) | undefined;
    let request: ((wc: unknown, p: string, cb: (g: boolean) => void) => void) | undefined;
    lockDownSession({ setPermissionCheckHandler: (h) => (check = h), setPermissionRequestHandler: (h) => (request = h) });
    expect(check?.()).toBe(false);
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      let granted: boolean | undefined;
      request?.(undefined, p, (g) => (granted = g));
      expect(granted, p).toBe(false);
    }
  });
});

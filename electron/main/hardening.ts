/**
 * The window's hardening, as handlers that need no Electron import (so unit tests can drive them):
 * every navigation, frame navigation, redirect, new window, webview and permission is denied, and
 * the page is served from the app:// scheme, confined to the renderer folder (no file:// page).
 */
import { isAbsolute, relative, resolve } from 'node:path';

/** The scheme and host the renderer is served from. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'spsetup';
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** The privileges app:// is registered with (protocol.registerSchemesAsPrivileged): a standard, secure origin; no CORS bypass. */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, bypassCSP: false, corsEnabled: false, allowServiceWorkers: false, stream: false } as const;

/** The file an app:// request may read, or undefined for anything outside the renderer folder or another host. */
export function resolveAppRequest(url: string, rendererDir: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return undefined;
  }
  if (path.includes('\0')) return undefined;
  const file = resolve(rendererDir, `.${path === '/' ? '/index.html' : path}`);
  const rel = relative(resolve(rendererDir), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? file : undefined;
}

/** What lockDownContents needs of a WebContents. */
export interface LockableContents {
  on(event: 'will-navigate' | 'will-frame-navigate' | 'will-redirect' | 'will-attach-webview', listener: (e: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: () => { action: 'deny' }): void;
}

/** Denies navigation (top level and frames), redirects, webviews and new windows. */
export function lockDownContents(wc: LockableContents): void {
  for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect', 'will-attach-webview'] as const) wc.on(event, (e) => e.preventDefault());
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** What lockDownSession needs of a Session. */
export interface LockableSession {
  setPermissionCheckHandler(handler: () => boolean): void;
  setPermissionRequestHandler(handler: (wc: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
}

/** Every permission check answers no and every request is refused (the wizard needs none). */
export function lockDownSession(s: LockableSession): void {
  s.setPermissionCheckHandler(() => false);
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
}

/** Security policy of the wizard's window and browser mode (pure, no Electron import). */
import { APP_HOST, APP_SCHEME } from './hardening.js';

/** The Content-Security-Policy of every page we serve (header and meta tag). */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** True when an IPC sender frame's URL is the app's own renderer page (app://spsetup/index.html). */
export function isTrustedSenderUrl(senderUrl: string | undefined, _rendererIndexPath?: string): boolean {
  if (senderUrl === undefined || senderUrl === '') return false;
  let url: URL;
  try {
    url = new URL(senderUrl);
  } catch {
    return false;
  }
  // The page is served from app:// only; a file:// page (or any other origin) is never trusted.
  return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && url.pathname === '/index.html' && url.username === '' && url.password === '';
}

/** Security policy of the wizard's window and browser mode (pure, no Electron import). */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** The Content-Security-Policy of every page we serve (header and meta tag). */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** True when an IPC sender frame's URL is the app's own renderer page (file:// of index.html). */
export function isTrustedSenderUrl(senderUrl: string | undefined, rendererIndexPath: string): boolean {
  if (senderUrl === undefined || senderUrl === '') return false;
  let url: URL;
  try {
    url = new URL(senderUrl);
  } catch {
    return false;
  }
  if (url.protocol !== 'file:' || (url.host !== '' && url.host !== 'localhost')) return false;
  try {
    return resolve(fileURLToPath(url)) === resolve(rendererIndexPath);
  } catch {
    return false;
  }
}

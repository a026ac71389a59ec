/** One IPC call, from untrusted sender and payload to a Reply envelope (pure; no Electron import). */
import { errorInfoOf, invokeBackend, isInstallerMethod, parseRequest } from '../shared/ipc.js';
import type { EventSink, InstallerBackend, Reply } from '../shared/ipc.js';
import { isTrustedSenderUrl } from './security.js';

/** Validates sender and payload, then calls the back end; never throws. */
export async function dispatchCall(
  backend: InstallerBackend,
  method: string,
  senderUrl: string | undefined,
  rendererIndexPath: string,
  payload: unknown,
  onEvent: EventSink,
): Promise<Reply<unknown>> {
  if (!isTrustedSenderUrl(senderUrl, rendererIndexPath)) {
    return { ok: false, error: { code: 'permission-denied', message: 'The request did not come from the wizard window and was refused.' } };
  }
  if (!isInstallerMethod(method)) return { ok: false, error: { code: 'invalid-input', message: `Unknown method ${method}.` } };
  const parsed = parseRequest(method, payload);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  try {
    const value = await invokeBackend(backend, method, parsed.value, onEvent);
    return { ok: true, value: value ?? null };
  } catch (err) {
    return { ok: false, error: errorInfoOf(err) };
  }
}

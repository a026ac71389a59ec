/**
 * The only place the renderer talks to the back end: through the preload (`window.spsetup`) in
 * Electron, otherwise over HTTP to browser mode with the session token from the URL.
 */
import type { ErrorInfo } from '../../../electron/shared/errors.js';
import type { EventSink, InstallerMethod, Reply, RequestOf, ResultOf, WizardApi } from '../../../electron/shared/ipc.js';
import type { ProgressEvent } from '../../../electron/shared/plan.js';

/** What the preload exposes: one function per method returning the Reply envelope. */
type PreloadApi = { readonly [M in InstallerMethod]: (payload: RequestOf<M>) => Promise<Reply<ResultOf<M>>> } & {
  readonly onEvent: (cb: EventSink) => () => void;
};

declare global {
  interface Window {
    spsetup?: PreloadApi;
  }
}

// Values repeated from electron/shared/ipc.ts (the renderer imports types only from there).
const TOKEN_HEADER = 'x-spsetup-token';
const TOKEN_KEY = 'spsetup-token';

/** An error from the back end, carrying the message and fix a user can act on. */
export class ApiError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

/** Normalises anything a call rejected with into ErrorInfo. */
export function errorOf(err: unknown): ErrorInfo {
  if (err instanceof ApiError) return err.info;
  if (typeof err === 'object' && err !== null && typeof (err as ErrorInfo).message === 'string' && typeof (err as ErrorInfo).code === 'string') return err as ErrorInfo;
  return { code: 'internal', message: err instanceof Error ? err.message : String(err), fix: 'Save diagnostics and send them with a description of what you did.' };
}

function unwrap<T>(reply: Reply<T>): T {
  if (reply.ok) return reply.value;
  throw new ApiError(reply.error);
}

/** Takes the token from the URL once, keeps it for this tab, and removes it from the address bar. */
function sessionToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

function httpApi(): WizardApi {
  const token = sessionToken();
  const listeners = new Set<EventSink>();
  let connected: Promise<void> | undefined;
  // Server-Sent Events read through fetch, so the token stays in a header. Resolves once the
  // stream is open, so a run started afterwards loses no event.
  const openStream = (): Promise<void> =>
    (connected ??= new Promise<void>((resolve) => {
      void (async () => {
        try {
          const res = await fetch('/api/events', { headers: { [TOKEN_HEADER]: token } });
          resolve();
          if (!res.ok || res.body === null) return;
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let sep: number;
            while ((sep = buffer.indexOf('\n\n')) >= 0) {
              const frame = buffer.slice(0, sep);
              buffer = buffer.slice(sep + 2);
              const data = frame
                .split('\n')
                .filter((l) => l.startsWith('data: '))
                .map((l) => l.slice(6))
                .join('\n');
              if (data === '') continue;
              const event = JSON.parse(data) as ProgressEvent;
              for (const cb of listeners) cb(event);
            }
          }
        } catch {
          // The stream ends when the server stops; calls report their own errors.
        } finally {
          resolve();
          connected = undefined;
        }
      })();
    }));
  const call = async (method: InstallerMethod, payload: unknown): Promise<unknown> => {
    if (listeners.size > 0) await openStream();
    let res: Response;
    try {
      res = await fetch(`/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: token },
        body: payload === undefined ? '' : JSON.stringify(payload),
      });
    } catch {
      throw new ApiError({ code: 'network', message: 'The setup server does not answer.', fix: 'Check that `spsetup ui` is still running, then reload the page.' });
    }
    const reply = (await res.json().catch(() => ({ ok: false, error: { code: 'internal', message: `The setup server answered ${res.status}.` } }))) as Reply<unknown>;
    return unwrap(reply);
  };
  const api: Record<string, unknown> = {
    onEvent: (cb: EventSink) => {
      listeners.add(cb);
      void openStream();
      return () => listeners.delete(cb);
    },
  };
  for (const m of METHODS) api[m] = (payload: unknown) => call(m, payload);
  return api as unknown as WizardApi;
}

const METHOD_LIST = [
  'environment', 'testDatabase', 'testShare', 'checkHostname', 'plan', 'apply', 'cancel',
  'resume', 'rollback', 'status', 'saveDiagnostics', 'exportBundle', 'importBundle', 'importSpc',
  'detectMigration', 'planMigration', 'applyMigration', 'resumeMigration',
  'siteStatus', 'planSiteOperation', 'runSiteOperation', 'siteSettings', 'siteBackup',
  'planDbPrepare', 'applyDbPrepare',
] as const satisfies readonly InstallerMethod[];
// Compile-time proof that every contract method is reachable from the wizard.
type Missing = Exclude<InstallerMethod, (typeof METHOD_LIST)[number]>;
const exhaustive: [Missing] extends [never] ? true : never = true;
void exhaustive;

const METHODS: readonly InstallerMethod[] = METHOD_LIST;

function preloadApi(p: PreloadApi): WizardApi {
  const api: Record<string, unknown> = { onEvent: p.onEvent };
  for (const m of METHODS) api[m] = async (payload: unknown) => unwrap(await (p[m] as (x: unknown) => Promise<Reply<unknown>>)(payload));
  return api as unknown as WizardApi;
}

let instance: WizardApi | undefined;
/** The back end, through Electron or browser mode. */
export function api(): WizardApi {
  instance ??= window.spsetup ? preloadApi(window.spsetup) : httpApi();
  return instance;
}

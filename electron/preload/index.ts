/**
 * The sandboxed preload: exposes one function per IPC channel (resolving to a Reply envelope)
 * and onEvent, never ipcRenderer.
 * It is bundled to CommonJS (dist/electron/preload/index.cjs) and imports nothing at run time
 * but electron, so the method list is repeated here and checked against the contract by type.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import type { EventSink, InstallerMethod, Reply } from '../shared/ipc.js';
import type { ProgressEvent } from '../shared/plan.js';

const METHODS = [
  'environment',
  'testDatabase',
  'testShare',
  'checkHostname',
  'plan',
  'apply',
  'cancel',
  'resume',
  'rollback',
  'status',
  'saveDiagnostics',
  'exportBundle',
  'importBundle',
  'importSpc',
  'detectMigration',
  'planMigration',
  'applyMigration',
  'resumeMigration',
  'siteStatus',
  'planSiteOperation',
  'runSiteOperation',
  'siteSettings',
  'siteBackup',
  'planDbPrepare',
  'applyDbPrepare',
] as const satisfies readonly InstallerMethod[];
// Compile-time proof that every contract method is exposed.
type Missing = Exclude<InstallerMethod, (typeof METHODS)[number]>;
const exhaustive: [Missing] extends [never] ? true : never = true;
void exhaustive;

const EVENTS_CHANNEL = 'spsetup:event';

const api: Record<string, unknown> = {};
for (const method of METHODS) {
  // The Reply envelope goes to the renderer as is: a rejection crossing contextBridge would lose
  // the error's code and fix, a plain object does not.
  api[method] = (payload?: unknown): Promise<Reply<unknown>> => ipcRenderer.invoke(`spsetup:${method}`, payload) as Promise<Reply<unknown>>;
}
api['onEvent'] = (cb: EventSink): (() => void) => {
  const listener = (_e: IpcRendererEvent, event: ProgressEvent): void => cb(event);
  ipcRenderer.on(EVENTS_CHANNEL, listener);
  return () => ipcRenderer.removeListener(EVENTS_CHANNEL, listener);
};

contextBridge.exposeInMainWorld('spsetup', api);

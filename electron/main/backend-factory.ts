/**
 * Loads the lead's back end (electron/features/installer/backend.ts) at run time, so the main
 * process and browser mode compile before it exists and fail with a clear message without it.
 */
import type { InstallerBackend } from '../shared/ipc.js';
import { UserError } from '../shared/errors.js';

export interface BackendOptions {
  /** Directory for journals, logs and diagnostics (defaults decided by the back end). */
  readonly stateDir?: string;
}

type Factory = (opts?: BackendOptions) => InstallerBackend | Promise<InstallerBackend>;

/** Creates the real InstallerBackend through `createBackend` of features/installer/backend.js. */
export async function loadBackend(opts?: BackendOptions): Promise<InstallerBackend> {
  // A variable specifier keeps tsc from resolving the module before the lead's file lands.
  const specifier = '../features/installer/backend.js';
  let mod: { createBackend?: Factory };
  try {
    mod = (await import(specifier)) as { createBackend?: Factory };
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new UserError('not-found', 'The installer back end is not built.', 'Run `npm run build` first.');
    }
    throw err;
  }
  if (typeof mod.createBackend !== 'function') throw new UserError('not-found', 'The installer back end does not export createBackend.', 'Run `npm run build` again.');
  return await mod.createBackend(opts);
}

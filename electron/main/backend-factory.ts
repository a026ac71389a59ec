/** The installer back end for the Electron main process (the same one browser mode and the agent use). */
import { createBackend, type BackendOptions } from '../app/wizard-backend.js';
import type { InstallerBackend } from '../shared/ipc.js';

/** Creates the real InstallerBackend. */
export async function loadBackend(opts?: BackendOptions): Promise<InstallerBackend> {
  return createBackend(opts);
}

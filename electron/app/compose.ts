/**
 * The composition root: builds the System for the settings' machine, the one place the CLI, the
 * agent, browser mode and Electron main turn settings into adapters (service manager and runit
 * directory come from the settings).
 */
import { createPosixSystem, type System } from '../system/system.js';
import { createWindowsSystem } from '../system/windows/windows-system.js';
import type { Settings } from '../shared/settings.js';
import type { InstallerContext } from '../features/installer/installer.js';

/** The installer context for these settings (service manager choice and runit directory come from them). */
export function composeContext(settings: Settings | undefined, env: NodeJS.ProcessEnv = process.env): InstallerContext {
  const sys: System =
    process.platform === 'win32'
      ? createWindowsSystem()
      : createPosixSystem({
          serviceManager: settings?.services.manager ?? 'auto',
          ...(settings?.services.runitDir ? { runitDir: settings.services.runitDir } : {}),
          ...(settings?.stateDir ? { definitionsDir: `${settings.stateDir}/sv` } : {}),
        });
  return { sys, env, nodeExecutable: process.execPath };
}

/**
 * The log of a run, named one way for every front end: <stateDir>/logs/<label>-<time>.log, with
 * every secret of the settings masked (the reporter writes nothing unmasked).
 */
import { join } from 'node:path';
import { Reporter } from '../features/installer/reporter.js';
import { resolveSecrets } from '../features/installer/load-settings.js';
import type { Settings } from '../shared/settings.js';

/** A timestamp usable in a file name on every platform (no colons or dots). */
export function fileStamp(at: Date = new Date()): string {
  return at.toISOString().replace(/[:.]/g, '-');
}

/** Where the log of a run labelled `label` (install, resume, migrate-run, db-prepare, ...) goes. */
export function runLogPath(stateDir: string, label: string, at: Date = new Date()): string {
  return join(stateDir, 'logs', `${label}-${fileStamp(at)}.log`);
}

/** The values of the settings' secrets, so that logs can mask them. */
export async function secretValues(settings: Settings, env: NodeJS.ProcessEnv): Promise<string[]> {
  return [...(await resolveSecrets(settings, env)).values()];
}

export interface RunReporterOptions {
  readonly stateDir: string;
  readonly label: string;
  readonly secrets: readonly string[];
  /** A further log file the user asked for (--log). */
  readonly extraLog?: string;
  readonly out?: (line: string) => void;
  readonly quiet?: boolean;
}

/** The reporter of one run, writing to its log in the state folder. */
export function openRunReporter(o: RunReporterOptions): Reporter {
  const logFiles = [runLogPath(o.stateDir, o.label), ...(o.extraLog ? [o.extraLog] : [])];
  return new Reporter({ logFiles, secrets: o.secrets, ...(o.quiet !== undefined ? { quiet: o.quiet } : {}), ...(o.out ? { out: o.out } : {}) });
}

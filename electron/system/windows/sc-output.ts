/** Parsing sc.exe output. Field names (STATE, BINARY_PATH_NAME, ...) are not localized; messages are, so only fields and exit codes are read. */
import type { ServiceState } from '../types.js';

/** sc.exe exit codes (Win32 error numbers) the manager reacts to. */
export const scError = {
  serviceDoesNotExist: 1060,
  alreadyRunning: 1056,
  notActive: 1062,
  markedForDelete: 1072,
  serviceExists: 1073,
  cannotAcceptControl: 1061,
} as const;

export interface ScQuery {
  readonly state: ServiceState;
  /** The numeric STATE (1 stopped ... 7 paused). */
  readonly stateCode: number;
  readonly win32ExitCode?: number;
  readonly serviceExitCode?: number;
}

/** Reads `NAME : value` fields; continuation lines (`    : value`) are appended to the previous field. */
export function parseScFields(stdout: string): ReadonlyMap<string, readonly string[]> {
  const fields = new Map<string, string[]>();
  let last: string[] | undefined;
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^\s*([A-Z0-9_]+)\s*:\s?(.*)$/.exec(line);
    if (m) {
      last = [m[2]!.trim()];
      fields.set(m[1]!, last);
      continue;
    }
    const cont = /^\s+:\s?(.*)$/.exec(line);
    if (cont && last) last.push(cont[1]!.trim());
  }
  return fields;
}

/** Maps `sc.exe query` output to a state. */
export function parseScQuery(stdout: string): ScQuery {
  const fields = parseScFields(stdout);
  const stateCode = Number.parseInt(fields.get('STATE')?.[0] ?? '', 10);
  const exit = (key: string): number | undefined => {
    const n = Number.parseInt(fields.get(key)?.[0] ?? '', 10);
    return Number.isNaN(n) ? undefined : n;
  };
  const win32ExitCode = exit('WIN32_EXIT_CODE');
  const serviceExitCode = exit('SERVICE_EXIT_CODE');
  return {
    state: stateFromCode(stateCode),
    stateCode: Number.isNaN(stateCode) ? 0 : stateCode,
    ...(win32ExitCode === undefined ? {} : { win32ExitCode }),
    ...(serviceExitCode === undefined ? {} : { serviceExitCode }),
  };
}

function stateFromCode(code: number): ServiceState {
  switch (code) {
    case 1:
      return 'stopped';
    case 2:
    case 5:
      return 'starting';
    case 4:
      return 'running';
    default:
      // 3 stop pending, 6 pause pending, 7 paused: not a state the installer waits for.
      return 'unknown';
  }
}

export interface ScConfig {
  readonly startType: 'auto' | 'delayed-auto' | 'demand' | 'disabled' | 'other';
  readonly binaryPath: string;
  readonly displayName: string;
  readonly dependencies: readonly string[];
  readonly account: string;
}

/** Parses `sc.exe qc NAME` output. */
export function parseScQc(stdout: string): ScConfig {
  const fields = parseScFields(stdout);
  const start = fields.get('START_TYPE')?.[0] ?? '';
  const code = Number.parseInt(start, 10);
  const startType =
    code === 2 ? (/DELAYED/i.test(start) ? 'delayed-auto' : 'auto') : code === 3 ? 'demand' : code === 4 ? 'disabled' : 'other';
  return {
    startType,
    binaryPath: fields.get('BINARY_PATH_NAME')?.[0] ?? '',
    displayName: fields.get('DISPLAY_NAME')?.[0] ?? '',
    dependencies: (fields.get('DEPENDENCIES') ?? []).filter((d) => d !== ''),
    account: fields.get('SERVICE_START_NAME')?.[0] ?? '',
  };
}

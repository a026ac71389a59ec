import { readFileSync } from 'node:fs';

export type ServiceManagerKind = 'runit' | 'systemd' | 'windows';

/** Reads the name of PID 1 (Linux); undefined when /proc is not there. */
function readPid1Name(): string | undefined {
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Which service manager to use: the override unless it is 'auto'; Windows SCM on win32; systemd
 * when PID 1 is systemd; otherwise runit (containers, CI).
 */
export function detectServiceManager(
  platform: NodeJS.Platform = process.platform,
  override: ServiceManagerKind | 'auto' = 'auto',
  readInitName: () => string | undefined = readPid1Name,
): ServiceManagerKind {
  if (override !== 'auto') return override;
  if (platform === 'win32') return 'windows';
  return readInitName() === 'systemd' ? 'systemd' : 'runit';
}

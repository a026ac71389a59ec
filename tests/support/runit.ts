import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findProcessesIn, findRunsv } from '../../electron/system/services/proc-scan.js';
import { createTempDir } from './temp.js';

export interface TestSupervisor {
  /** Temp root holding both directories. */
  readonly root: string;
  /** The directory runsvdir supervises. */
  readonly serviceDir: string;
  /** Where service definitions live. */
  readonly definitionsDir: string;
  readonly pid: number;
  /** Stops runsvdir and every runsv under root (and their services), then deletes root. */
  cleanup(): Promise<void>;
}

/** Starts `runsvdir -P <temp>/service` for a test. */
export async function startTestSupervisor(): Promise<TestSupervisor> {
  const temp = await createTempDir('spsetup-runit-', true);
  const serviceDir = join(temp.path, 'service');
  const definitionsDir = join(temp.path, 'sv');
  await mkdir(serviceDir, { mode: 0o755 });
  await mkdir(definitionsDir, { mode: 0o755 });
  const child = spawn('runsvdir', ['-P', serviceDir], { detached: true, stdio: 'ignore' });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve(child.pid ?? 0));
  });
  child.unref();
  return { root: temp.path, serviceDir, definitionsDir, pid, cleanup: () => stopSupervisor(pid, temp.path, temp.cleanup) };
}

/** Stops a runsvdir started outside the test supervisor (e.g. by ensureSupervisor) and its runsv children under root. */
export async function stopSupervisor(pid: number, root: string, cleanup?: () => Promise<void>): Promise<void> {
  // SIGHUP: runsvdir sends TERM to each runsv (which stops its service and exits), then exits.
  signal(pid, 'SIGHUP');
  const deadline = Date.now() + 15_000;
  while ((alive(pid) || (await findRunsv(root)).length > 0) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  signal(pid, 'SIGKILL');
  // Anything still running from inside root (a runsv or a service that ignored TERM) is killed.
  for (const left of await findProcessesIn(root)) if (left !== process.pid) signal(left, 'SIGKILL');
  await cleanup?.();
}

/** Whether a process exists (zombies excluded is not needed: runsvdir is detached and reaped by init). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

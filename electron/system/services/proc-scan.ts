import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { basename, resolve } from 'node:path';

export interface ProcInfo {
  readonly pid: number;
  readonly argv: readonly string[];
  readonly cwd?: string;
}

/** Lists processes from /proc (Linux); processes that vanish while reading are skipped. */
export async function listProcesses(): Promise<readonly ProcInfo[]> {
  const found: ProcInfo[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
      if (argv.length === 0) continue;
      let cwd: string | undefined;
      try {
        cwd = await readlink(`/proc/${entry}/cwd`);
      } catch {
        cwd = undefined;
      }
      found.push(cwd === undefined ? { pid: Number(entry), argv } : { pid: Number(entry), argv, cwd });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** The pid of a `runsvdir` supervising `dir`, if any. */
export async function findRunsvdir(dir: string): Promise<number | undefined> {
  const wanted = await realpathOr(dir);
  for (const p of await listProcesses()) {
    if (basename(p.argv[0] ?? '') !== 'runsvdir') continue;
    const target = p.argv.slice(1).find((a) => !a.startsWith('-'));
    if (target === undefined) continue;
    if ((await realpathOr(resolve(p.cwd ?? '/', target))) === wanted) return p.pid;
  }
  return undefined;
}

/** Pids of `runsv` processes whose service directory is `dir` or lies under it. */
export async function findRunsv(dir: string): Promise<readonly number[]> {
  const root = await realpathOr(dir);
  const pids: number[] = [];
  for (const p of await listProcesses()) {
    if (basename(p.argv[0] ?? '') !== 'runsv' || p.cwd === undefined) continue;
    const cwd = p.cwd.replace(/ \(deleted\)$/, '');
    if (cwd === root || cwd.startsWith(`${root}/`)) pids.push(p.pid);
  }
  return pids;
}

/** Pids of any process whose working directory is `dir` or lies under it. */
export async function findProcessesIn(dir: string): Promise<readonly number[]> {
  const root = await realpathOr(dir);
  return (await listProcesses())
    .filter((p) => {
      const cwd = p.cwd?.replace(/ \(deleted\)$/, '');
      return cwd !== undefined && (cwd === root || cwd.startsWith(`${root}/`));
    })
    .map((p) => p.pid);
}

async function realpathOr(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

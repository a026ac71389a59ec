/**
 * Helpers of the fault suite (tests/integration/faults/): the CLI run so it holds still at a step
 * boundary while a fault is injected, and small tmpfs mounts for a share that fills up or turns
 * read-only.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT, type CliOut } from './cluster.js';

const HARNESS = join(REPO_ROOT, 'tests', 'support', 'paused-cli.mjs');

/** A CLI run that pauses at `point` ("done:STEP", "started:STEP"): wait for it, change the machine, then go on. */
export interface PausedRun {
  /** Resolves when the run holds still at the point (rejects if it ended first). */
  readonly paused: Promise<void>;
  /** Lets it go on. */
  go(): Promise<void>;
  /** Resolves with the exit code and output once it ended. */
  readonly done: Promise<CliOut>;
  readonly pid: number;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `spsetup ARGS` (inside `netns` when given) pausing at `point`. */
export function runPaused(args: readonly string[], point: string, options: { netns?: string; goFile: string; timeoutMs?: number }): PausedRun {
  const node = [process.execPath, HARNESS, ...args];
  const [file, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns, ...node]] : [node[0]!, node.slice(1)];
  const child = spawn(file, argv, {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    cwd: REPO_ROOT,
    env: { ...process.env, SPSETUP_TEST_PAUSE: point, SPSETUP_TEST_GO: options.goFile },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000);
  const done = new Promise<CliOut>((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Give the pipes a moment to drain what was written before the exit.
      setTimeout(() => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr }), 50);
    }),
  );
  const paused = new Promise<void>((resolve, reject) => {
    const signals = child.stdio[3] as NodeJS.ReadableStream | null;
    signals?.on('data', (d: Buffer) => {
      if (d.toString().includes(`paused ${point}`)) resolve();
    });
    void done.then((r) => reject(new Error(`the run ended before it reached ${point} (exit ${r.code}):\n${r.stdout}\n${r.stderr}`)));
  });
  paused.catch(() => undefined);
  return {
    paused,
    done,
    pid: child.pid ?? -1,
    kill: (signal = 'SIGKILL') => child.kill(signal),
    go: async () => writeFile(options.goFile, 'go\n'),
  };
}

/** Removes the go file so the next paused run waits again. */
export async function resetGo(goFile: string): Promise<void> {
  await rm(goFile, { force: true });
}

function sh(file: string, args: readonly string[]): Promise<CliOut> {
  return new Promise((done) => {
    execFile(file, [...args], { timeout: 30_000 }, (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) }));
  });
}

async function must(file: string, args: readonly string[]): Promise<void> {
  const r = await sh(file, args);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

/** A tmpfs mounted at `dir` with these options (size=, nr_inodes=, ro). */
export async function mountTmpfs(dir: string, options: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await must('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
}

/** Remounts it with other options (ro / rw, a new size or inode count). */
export async function remount(dir: string, options: string): Promise<void> {
  await must('mount', ['-o', `remount,${options}`, dir]);
}

/** Unmounts (lazily, so a process still in it does not block the cleanup). */
export async function unmount(dir: string): Promise<void> {
  if (existsSync(dir)) await sh('umount', ['-l', dir]);
}

/** Fills the file system of `dir` with empty files until no inode is left; returns the folder holding them. */
export async function useAllInodes(dir: string): Promise<string> {
  const filler = join(dir, '.filler');
  await mkdir(filler);
  for (let i = 0; ; i++) {
    try {
      await writeFile(join(filler, String(i)), '');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return filler;
      throw err;
    }
  }
}

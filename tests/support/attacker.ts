/**
 * The other side of the attack tests: shell commands run as an unprivileged account (runuser,
 * never root), and racing swaps that wait on inotify for the moment the installer reaches a folder.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs `script` with /bin/sh as `user`; `$1`... are `args`. Throws when it fails. */
export async function runAs(user: string, script: string, args: readonly string[] = []): Promise<string> {
  const { stdout } = await run('runuser', ['-u', user, '--', '/bin/sh', '-euc', script, 'sh', ...args], { timeout: 30_000 });
  return stdout;
}

export interface Race {
  /** Resolves with true when the swap ran, false when the watched event never came (timeout). */
  readonly swapped: Promise<boolean>;
}

/**
 * As `user`: waits (inotify, bounded by `timeoutS`) for `event` on `watch`, then runs `swap`
 * (a shell script with `$1`... = args). Resolves once the watch is in place, so the caller can
 * start the installer's work knowing the attacker is ready.
 */
export async function raceAs(user: string, watch: string, event: 'open' | 'create', swap: string, args: readonly string[] = [], timeoutS = 30): Promise<Race> {
  // inotifywait says "Watches established." on stderr once it watches; exit 2 is its timeout.
  const script = `inotifywait -e ${event} -t ${timeoutS} "$0" >/dev/null || exit 3\n${swap}`;
  const racer = spawn('runuser', ['-u', user, '--', '/bin/sh', '-euc', script, watch, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => racer.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    racer.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('Watches established.')) resolve();
    });
    void exited.then((code) => reject(new Error(`the attacker exited (${code}) before watching: ${stderr}`)));
  });
  const swapped = exited.then((code) => {
    if (code === 3) return false;
    if (code !== 0) throw new Error(`the attacker's swap failed (${code}): ${stderr}`);
    return true;
  });
  return { swapped };
}

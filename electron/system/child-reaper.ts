/**
 * Child processes die with the installer (issue 13). Every command runs in its own process group
 * (so a timeout can kill its whole tree); a small reaper process, started with the first command,
 * holds a pipe from the installer and is told each group as it starts and as its leader exits.
 * When the pipe closes, because the installer exited or was killed (even with SIGKILL, which no
 * handler sees), the reaper kills every group whose leader was still running: an interrupted
 * initdb does not finish on its own behind a resumed install.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** The reaper's program: "+PGID" / "-PGID" lines on stdin; at end of input, SIGKILL to what is left. */
const REAPER = `
const groups = new Set();
let buffer = '';
const killAll = () => {
  for (const g of groups) {
    try { process.kill(-g, 'SIGKILL'); } catch {}
  }
  process.exit(0);
};
for (const sig of ['SIGINT', 'SIGHUP', 'SIGTERM', 'SIGPIPE']) process.on(sig, () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  const lines = buffer.split('\\n');
  buffer = lines.pop();
  for (const line of lines) {
    const g = Number(line.slice(1));
    if (!Number.isInteger(g) || g <= 1) continue;
    if (line[0] === '+') groups.add(g);
    else groups.delete(g);
  }
});
process.stdin.on('end', killAll);
process.stdin.on('error', killAll);
`;

let reaper: ChildProcess | undefined;
let broken = false;

function tell(line: string): void {
  if (broken) return;
  if (!reaper) {
    try {
      // Its own group and session: a signal to the installer's group does not take the reaper with it.
      reaper = spawn(process.execPath, ['-e', REAPER], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ELECTRON_RUN_AS_NODE: '1' } });
    } catch {
      broken = true;
      return;
    }
    reaper.on('error', () => {
      broken = true;
    });
    reaper.stdin?.on('error', () => {
      broken = true;
    });
    // Neither the reaper nor its pipe keeps the installer alive.
    reaper.unref();
    (reaper.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }
  reaper.stdin?.write(`${line}\n`);
}

/** Kill this process group if the installer dies while its leader runs. */
export function watchGroup(pgid: number): void {
  tell(`+${pgid}`);
}

/** The leader exited: leave the group alone. */
export function unwatchGroup(pgid: number): void {
  tell(`-${pgid}`);
}

/** The reaper's pid (tests). */
export function reaperPid(): number | undefined {
  return reaper?.pid;
}

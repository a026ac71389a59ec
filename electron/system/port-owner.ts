/**
 * Which process listens on a TCP port (Linux): the listening socket's inode from /proc/net/tcp and
 * tcp6, then the process holding that socket in /proc/PID/fd. So a message can say "port N is
 * taken by PID P (program)" instead of leaving the cause in a service log.
 */
import { readFile, readdir, readlink } from 'node:fs/promises';

export interface PortOwner {
  readonly pid: number;
  /** The program's name (comm) and, when readable, its command line. */
  readonly program: string;
}

const LISTEN = '0A';

async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const local = f[1];
      if (!local || f[3] !== LISTEN) continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && f[9] && f[9] !== '0') inodes.add(f[9]);
    }
  }
  return inodes;
}

async function describe(pid: number): Promise<string> {
  const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean);
  const line = argv.slice(0, 3).join(' ');
  return line && comm ? `${comm}: ${line.length > 120 ? `${line.slice(0, 117)}...` : line}` : comm || line || 'unknown program';
}

/** The process listening on `port`, or undefined (nothing listens, or it cannot be told: not Linux, or another namespace). */
export async function findPortOwner(port: number): Promise<PortOwner | undefined> {
  const inodes = await listeningInodes(port);
  if (!inodes.size) return undefined;
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => '');
      if (wanted.has(target)) return { pid: Number(entry), program: await describe(Number(entry)) };
    }
  }
  return undefined;
}

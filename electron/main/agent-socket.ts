/**
 * The agent's Unix socket lives in a folder the agent makes itself (root-owned, 0700 while it binds),
 * never in one the GUI user can write: nothing on the path can be swapped for a link. The socket is
 * created 0600 (umask), handed to the caller with lchown, and only then is the folder opened to the
 * caller's group, through its descriptor.
 */
import { constants } from 'node:fs';
import { lchown, lstat, mkdir, open, rmdir } from 'node:fs/promises';
import type { Server } from 'node:net';
import { dirname } from 'node:path';
import { UserError } from '../shared/errors.js';

export interface SocketCaller {
  readonly uid: number;
  readonly gid: number;
}

/** Binds `server` to `socketPath` inside a fresh private folder; refuses a folder that already exists. */
export async function listenPrivately(server: Server, socketPath: string, caller: SocketCaller): Promise<void> {
  const dir = dirname(socketPath);
  await mkdir(dir, { mode: 0o700 }).catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UserError('permission-denied', `The agent's socket folder ${dir} cannot be made (${code}); it must not exist before the agent starts.`, 'Start the agent from the wizard, which names a fresh folder.');
  });
  const me = process.getuid?.() ?? 0;
  const info = await lstat(dir);
  if (!info.isDirectory() || info.uid !== me) throw new UserError('permission-denied', `The agent's socket folder ${dir} is not its own.`, 'Start the agent from the wizard.');
  const before = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
  } finally {
    process.umask(before);
  }
  if (caller.uid === me) return;
  // No one but us can write the folder, so the entry is the socket we bound; lchown follows no link anyway.
  await lchown(socketPath, caller.uid, caller.gid);
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    await handle.chown(me, caller.gid);
    await handle.chmod(0o710);
  } finally {
    await handle.close();
  }
}

/** Removes the socket folder after the server closed (the server removes the socket itself). */
export async function removeSocketFolder(socketPath: string): Promise<void> {
  await rmdir(dirname(socketPath)).catch(() => undefined);
}

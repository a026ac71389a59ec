/**
 * `exportBundle` for a caller other than root: the GUI user names `outPath`, so root must not
 * create or replace a file there (an `/etc/…` path, a link to a root folder in the path, a folder
 * of the service account's). The bundle is sealed into a private folder of root's, then written by
 * a child running as the caller: a temp file made by mktemp (O_EXCL, 0600) in the target folder,
 * renamed over the target (a link there is replaced, not followed). The kernel checks the
 * caller's own rights at each step, and the file is the caller's.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../shared/errors.js';
import type { InstallerBackend } from '../shared/ipc.js';
import type { SocketCaller } from './agent-socket.js';

/** As the caller: parent folders (0700), a temp file beside the target, its bytes from stdin, rename. */
const WRITE_SCRIPT = [
  'umask 077',
  'dir=$(dirname -- "$1")',
  'mkdir -p -- "$dir"',
  'tmp=$(mktemp -- "$dir/.spbundle.XXXXXXXX")',
  'if cat > "$tmp" && mv -f -T -- "$tmp" "$1"; then exit 0; fi',
  'rm -f -- "$tmp"',
  'exit 1',
].join('\n');

/** Writes `bytes` to `path` as `caller` (see above); refused with the child's reason. */
export function writeFileAs(caller: SocketCaller, path: string, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', WRITE_SCRIPT, 'sh', path], { uid: caller.uid, gid: caller.gid, env: { PATH: '/usr/bin:/bin', LANG: 'C' }, stdio: ['pipe', 'ignore', 'pipe'], timeout: 30_000 });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()).length);
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new UserError('permission-denied', `Could not write ${path} as the user who started the wizard: ${stderr.trim().split('\n').pop() ?? `exit ${code}`}.`, 'Choose a folder of your own to save the bundle in.'));
    });
    child.stdin.end(bytes);
  });
}

/** The back end as seen by a caller who is not root: exportBundle writes `outPath` as that caller. */
export function backendForCaller(backend: InstallerBackend, caller: SocketCaller): InstallerBackend {
  return {
    ...backend,
    async exportBundle(input) {
      if (input.outPath === undefined) return backend.exportBundle(input);
      const sealed = await mkdtemp(join(tmpdir(), 'spsetup-export-'));
      try {
        const result = await backend.exportBundle({ ...input, outPath: join(sealed, 'bundle.spbundle') });
        await writeFileAs(caller, input.outPath, await readFile(result.path));
        return { ...result, path: input.outPath };
      } finally {
        await rm(sealed, { recursive: true, force: true });
      }
    },
  };
}

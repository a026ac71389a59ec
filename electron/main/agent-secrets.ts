/**
 * `{ "file": PATH }` secrets that reach the elevated agent are read with the caller's identity
 * (a child process running as the GUI user), so root never reads a file for someone who may not.
 */
import { execFile } from 'node:child_process';
import { UserError } from '../shared/errors.js';
import type { SocketCaller } from './agent-socket.js';

function readAs(caller: SocketCaller, path: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('cat', ['--', path], { uid: caller.uid, gid: caller.gid, env: { PATH: '/usr/bin:/bin', LANG: 'C' }, timeout: 10_000, maxBuffer: 1024 * 1024 }, (err, stdout) => {
      if (err) reject(new UserError('permission-denied', `The secret file ${path} cannot be read by the user who started the wizard.`, 'Give a secret file that you may read yourself (mode 0600, yours).'));
      else resolve(stdout);
    }),
  );
}

const isFileSecret = (v: unknown): v is { file: string } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { file?: unknown }).file === 'string';

/** A copy of `params` with every `{file}` secret replaced by its text, read as `caller`. */
export async function inlineFileSecrets(params: unknown, caller: SocketCaller): Promise<unknown> {
  if (isFileSecret(params)) return (await readAs(caller, params.file)).replace(/\r?\n$/, '');
  if (Array.isArray(params)) return Promise.all(params.map((p) => inlineFileSecrets(p, caller)));
  if (typeof params !== 'object' || params === null) return params;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) out[k] = await inlineFileSecrets(v, caller);
  return out;
}

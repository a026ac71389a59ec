/** A CommandRunner for Windows: spawn without a shell, stdin for secrets, bounded in time, secrets masked. */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { maskSecrets } from '../mask-secrets.js';
import type { ExecOptions, ExecResult } from '../types.js';
import type { CommandRunner } from './command-runner.js';

/** Runs programs with argument arrays; windowsHide keeps console windows from flashing. */
export function createWindowsRunner(): CommandRunner {
  return { run: runFile };
}

function runFile(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const name = basename(file);
  const timeoutMs = options.timeoutMs ?? 600_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { cwd: options.cwd, env: mergeEnv(options.env), shell: false, windowsHide: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill();
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? new UserError('not-found', `Command not found: ${name}`, `Check that ${name} is on the PATH.`) : e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = maskSecrets(Buffer.concat(out).toString('utf8'), options.secrets);
      const stderr = maskSecrets(Buffer.concat(err).toString('utf8'), options.secrets);
      if (timedOut) {
        reject(new UserError('timeout', `${name} did not finish within ${Math.round(timeoutMs / 1000)} s.`, `Check what ${name} waits for.`));
      } else if (code !== 0 && !options.allowFailure) {
        reject(new UserError('process-failed', `${name} failed with exit code ${code}: ${(stderr.trim() || stdout.trim()).slice(-1000)}`, `Read the message from ${name}.`));
      } else resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** The child's environment: ours with the given variables set (undefined removes one); case-insensitive on Windows. */
export function mergeEnv(env: ExecOptions['env'], base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv | undefined {
  if (!env) return undefined;
  const merged: NodeJS.ProcessEnv = { ...base };
  for (const [key, value] of Object.entries(env)) {
    // Windows variable names are case-insensitive: drop every spelling before setting one.
    for (const existing of Object.keys(merged)) if (existing.toUpperCase() === key.toUpperCase()) delete merged[existing];
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

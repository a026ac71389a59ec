/**
 * Killed during the copy and resumed: the copy runs in a child process (node + tsx), is
 * SIGKILLed once some files are journaled, and a second run finishes without copying the
 * journaled files again (same inode and ctime) and with the same end state as a clean copy.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyTree, readJournal } from '../../electron/system/copy/index.js';
import type { ContentMapping } from '../../electron/features/migration/content-layout.js';
import { generateContentTree } from '../support/content-tree.js';
import type { ContentTree } from '../support/content-tree.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const engineUrl = new URL('../../electron/system/copy/index.ts', import.meta.url).href;
const KILL_AFTER = 150;

const journalFor = (state: string, m: ContentMapping) => path.join(state, `${m.id.replace('/', '-')}.jsonl`);

/** Counts journal records (lines after each header) across the state folder. */
async function countRecords(state: string): Promise<number> {
  let n = 0;
  for (const name of await readdir(state)) {
    const text = await readFile(path.join(state, name), 'utf8').catch(() => '');
    n += Math.max(0, text.split('\n').filter((l) => l.startsWith('{"path"')).length);
  }
  return n;
}

describe('copyTree: killed and resumed', () => {
  let root: string;
  let tree: ContentTree;
  let state: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'spsetup-copykill-'));
    state = path.join(root, 'state');
    await mkdir(state);
    tree = await generateContentTree({ root, seed: 11, smallFiles: 1500, largeFiles: 2, largeSize: 4 * 1024 * 1024 });
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('finishes without copying finished files again, with the same end state', async () => {
    const jobs = tree.mappings.map((m) => ({ source: m.source, target: m.target, journalPath: journalFor(state, m) }));
    const script = path.join(root, 'copy-child.mts');
    await writeFile(
      script,
      [
        `import { copyTree } from ${JSON.stringify(engineUrl)};`,
        `const jobs = JSON.parse(process.argv[2]);`,
        `for (const job of jobs) await copyTree({ ...job, concurrency: 2 });`,
        `console.log('finished');`,
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(jobs)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    try {
      const deadline = Date.now() + 30_000;
      while ((await countRecords(state)) < KILL_AFTER) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the child ended or stalled before the kill: ${output}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      child.kill('SIGKILL');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    expect(output).not.toContain('finished');

    // What the journals say is finished, and how those targets look now.
    const finished: string[] = [];
    for (const m of tree.mappings) {
      for (const rel of (await readJournal(journalFor(state, m), m.source, m.target)).keys()) finished.push(path.join(m.target, rel));
    }
    expect(finished.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(finished.length).toBeLessThan(tree.files.length);
    const before = new Map(await Promise.all(finished.map(async (f) => [f, await lstat(f)] as const)));

    let copied = 0;
    let skipped = 0;
    for (const m of tree.mappings) {
      const r = await copyTree({ source: m.source, target: m.target, journalPath: journalFor(state, m) });
      copied += r.filesCopied;
      skipped += r.filesSkipped;
    }
    expect(skipped).toBe(finished.length);
    expect(copied).toBe(tree.files.length - finished.length);
    for (const [f, st] of before) {
      const now = await lstat(f);
      expect([now.ino, now.ctimeMs, now.mtimeMs], f).toEqual([st.ino, st.ctimeMs, st.mtimeMs]);
    }

    // End state: every file, verified, and nothing else (no temp files left by the kill).
    for (const f of tree.files) {
      const st = await stat(f.target);
      expect(createHash('sha256').update(await readFile(f.target)).digest('hex'), f.target).toBe(f.sha256);
      expect(Math.round(st.mtimeMs)).toBe(f.mtimeMs);
    }
    const share = tree.layoutInput.share.root;
    const onShare = existsSync(share)
      ? (await readdir(share, { withFileTypes: true, recursive: true })).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name))
      : [];
    expect(onShare.sort()).toEqual(tree.files.map((f) => f.target).sort());
  });
});

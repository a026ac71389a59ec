/**
 * The content copy engine against real files: a generated node's content folders copied to a
 * share folder per the guide's layout, verified by SHA-256; reruns, corruption, missing folders,
 * symlinks, cancellation, a read-only and a full target (real tmpfs mounts).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyTree, PARTIAL_SUFFIX } from '../../electron/system/copy/index.js';
import type { CopyProgress, CopyResult } from '../../electron/system/copy/index.js';
import type { ContentMapping } from '../../electron/features/migration/content-layout.js';
import { UserError } from '../../electron/shared/errors.js';
import { generateContentTree } from '../support/content-tree.js';
import type { ContentTree } from '../support/content-tree.js';

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');
const journalFor = (state: string, m: ContentMapping) => path.join(state, `${m.id.replace('/', '-')}.jsonl`);

async function copyAll(tree: ContentTree, state: string, extra: { onProgress?: (p: CopyProgress) => void; rehashFinished?: boolean } = {}) {
  const results = new Map<string, CopyResult>();
  for (const m of tree.mappings) {
    results.set(m.id, await copyTree({ source: m.source, target: m.target, journalPath: journalFor(state, m), concurrency: 4, ...extra }));
  }
  return results;
}

async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  }
  return out.sort();
}

describe('copyTree: a node content tree to the share', () => {
  let root: string;
  let tree: ContentTree;
  let state: string;
  let first: Map<string, CopyResult>;
  const events: CopyProgress[] = [];

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'spsetup-copy-'));
    state = path.join(root, 'state');
    await mkdir(state);
    tree = await generateContentTree({ root, seed: 7, smallFiles: 600, largeFiles: 2, largeSize: 3 * 1024 * 1024 + 17, omit: ['static-content/DefaultApps'] });
    await chmod(tree.files[5]!.source, 0o640);
    await symlink('../../../Apps', path.join(tree.mappings.find((m) => m.id === 'static-content/Extensions')!.source, 'link-to-apps'));
    first = await copyAll(tree, state, { onProgress: (p) => events.push(p) });
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('puts every file on the share with the same SHA-256, size, mtime and mode', async () => {
    expect(tree.files.length).toBe(602);
    for (const f of tree.files) {
      // stat before reading: reading the file moves its atime.
      const [s, t] = await Promise.all([stat(f.source), stat(f.target)]);
      expect(await sha256(f.target), f.target).toBe(f.sha256);
      expect(t.size).toBe(f.size);
      expect(Math.round(t.mtimeMs)).toBe(f.mtimeMs);
      expect(Math.abs(t.atimeMs - (f.mtimeMs + 86_400_000))).toBeLessThan(1);
      expect(t.mode & 0o7777).toBe(s.mode & 0o7777);
    }
    expect((await stat(tree.files[5]!.target)).mode & 0o777).toBe(0o640);
    // Nothing else on the share: no temp files, no extra copies.
    const onShare = await listFiles(tree.layoutInput.share.root);
    expect(onShare).toEqual(tree.files.map((f) => f.target).sort());
  });

  it('returns every file with its SHA-256 for the caller to keep', () => {
    const fromResults = [...first.values()].flatMap((r) => r.files.map((f) => [path.join(r.target, f.path), f.sha256] as const));
    expect(new Map(fromResults)).toEqual(new Map(tree.files.map((f) => [f.target, f.sha256])));
    const total = [...first.values()].reduce((n, r) => n + r.filesCopied, 0);
    expect(total).toBe(tree.files.length);
    expect([...first.values()].reduce((n, r) => n + r.bytesCopied, 0)).toBe(tree.bytes);
  });

  it('reports a missing source folder and skips it', async () => {
    const r = first.get('static-content/DefaultApps')!;
    expect(r.sourceMissing).toBe(true);
    expect(r.filesTotal).toBe(0);
    expect(existsSync(r.target)).toBe(false);
  });

  it('reports symlinks and does not copy them', () => {
    const r = first.get('static-content/Extensions')!;
    expect(r.skippedEntries).toEqual([{ path: 'link-to-apps', kind: 'symlink', linkTarget: '../../../Apps' }]);
    expect(existsSync(path.join(r.target, 'link-to-apps'))).toBe(false);
  });

  it('reports progress in files and bytes, ending with nothing left', () => {
    const finals = events.filter((e) => e.filesDone === e.filesTotal && e.filesTotal > 0);
    expect(finals.length).toBeGreaterThan(0);
    for (const e of finals) expect(e).toMatchObject({ etaMs: 0, bytesDone: e.bytesTotal });
  });

  it('copies nothing again on a rerun over a finished copy', async () => {
    const before = await Promise.all(tree.files.map((f) => lstat(f.target)));
    const again = await copyAll(tree, state);
    expect([...again.values()].reduce((n, r) => n + r.filesCopied, 0)).toBe(0);
    expect([...again.values()].reduce((n, r) => n + r.filesSkipped, 0)).toBe(tree.files.length);
    const after = await Promise.all(tree.files.map((f) => lstat(f.target)));
    expect(after.map((s) => [s.ino, s.ctimeMs])).toEqual(before.map((s) => [s.ino, s.ctimeMs]));
  });

  it('recopies a target changed or removed after a complete run', async () => {
    const changed = tree.files[10]!;
    const removed = tree.files[20]!;
    await writeFile(changed.target, 'corrupted');
    await rm(removed.target);
    const again = await copyAll(tree, state);
    expect([...again.values()].reduce((n, r) => n + r.filesCopied, 0)).toBe(2);
    expect(await sha256(changed.target)).toBe(changed.sha256);
    expect(await sha256(removed.target)).toBe(removed.sha256);
    expect(Math.round((await stat(changed.target)).mtimeMs)).toBe(changed.mtimeMs);
  });

  it('finds a same-size corruption that kept its mtime only when asked to re-hash', async () => {
    const f = tree.files.find((x) => x.size > 100)!;
    const st = await stat(f.target);
    const bytes = await readFile(f.target);
    bytes[50] = bytes[50]! ^ 0xff;
    await writeFile(f.target, bytes);
    await utimes(f.target, st.atime, st.mtime);
    const trusting = await copyAll(tree, state);
    expect([...trusting.values()].reduce((n, r) => n + r.filesCopied, 0)).toBe(0);
    const rehashed = await copyAll(tree, state, { rehashFinished: true });
    expect([...rehashed.values()].reduce((n, r) => n + r.filesCopied, 0)).toBe(1);
    expect(await sha256(f.target)).toBe(f.sha256);
  });

  it('recopies a file whose source changed since it was copied', async () => {
    const f = tree.files[30]!;
    await writeFile(f.source, 'new content');
    const again = await copyAll(tree, state);
    expect([...again.values()].reduce((n, r) => n + r.filesCopied, 0)).toBe(1);
    expect(await readFile(f.target, 'utf8')).toBe('new content');
  });
});

describe('copyTree: failures', () => {
  let root: string;
  const mounts: string[] = [];
  afterEach(async () => {
    for (const m of mounts.splice(0)) execFileSync('umount', [m]);
    if (root) await rm(root, { recursive: true, force: true });
  });

  const setup = async (smallFiles: number, largeFiles = 0) => {
    root = await mkdtemp(path.join(os.tmpdir(), 'spsetup-copyfail-'));
    const tree = await generateContentTree({ root, seed: 3, smallFiles, largeFiles, largeSize: 2 * 1024 * 1024 });
    return { tree, apps: tree.mappings.find((m) => m.id === 'apps')! };
  };
  const mountTmpfs = async (dir: string, opts: string) => {
    await mkdir(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
    mounts.push(dir);
  };

  it('gives a clear error on a read-only target and writes nothing', async () => {
    const { apps } = await setup(20, 1);
    const share = path.join(root, 'ro-share');
    await mountTmpfs(share, 'ro,size=8m');
    const journal = path.join(root, 'apps.jsonl');
    const err = await copyTree({ source: apps.source, target: path.join(share, 'Apps'), journalPath: journal }).catch((e: unknown) => e);
    expect(err, String(err)).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('filesystem');
    expect((err as UserError).message).toBe(`Cannot write ${path.join(share, 'Apps')}: the file system is read-only.`);
    expect((err as UserError).fix).toMatch(/writable/);
    expect(await readdir(share)).toEqual([]);
    expect(existsSync(journal)).toBe(false);
  });

  it('refuses before copying when the share has not enough space', async () => {
    const { apps } = await setup(5, 2);
    const share = path.join(root, 'small-share');
    await mountTmpfs(share, 'size=1m');
    const err = await copyTree({ source: apps.source, target: path.join(share, 'Apps'), journalPath: path.join(root, 'j.jsonl') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/^Not enough space on .*small-share\/Apps: the copy needs 4\.\d MiB/);
    expect((err as UserError).fix).toMatch(/Free at least/);
    expect(await readdir(share)).toEqual([]);
  });

  it('refuses a target inside the source, changing nothing', async () => {
    const { apps } = await setup(5);
    const before = await listFiles(apps.source);
    await expect(copyTree({ source: apps.source, target: path.join(apps.source, 'copy'), journalPath: path.join(root, 'j.jsonl') })).rejects.toMatchObject({
      code: 'invalid-input',
    });
    expect(await listFiles(apps.source)).toEqual(before);
  });

  it('stops on cancel without leaving a half-written file, and a rerun finishes the rest', async () => {
    const { tree } = await setup(300, 2);
    const m = tree.mappings.find((x) => x.id === 'static-content/AppContent')!;
    const journal = path.join(root, 'ac.jsonl');
    const ac = new AbortController();
    const err = await copyTree({
      source: m.source,
      target: m.target,
      journalPath: journal,
      concurrency: 2,
      signal: ac.signal,
      // The first progress event comes with the first finished file (later ones are throttled in
      // time, so waiting for more would race the copy on a fast or a loaded machine).
      onProgress: (p) => {
        if (p.filesDone >= 1) ac.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('cancelled');
    const partial = await listFiles(m.target);
    expect(partial.filter((f) => f.endsWith(PARTIAL_SUFFIX))).toEqual([]);
    const expected = tree.files.filter((f) => f.mapping === m.id);
    expect(partial.length).toBeLessThan(expected.length);
    const rest = await copyTree({ source: m.source, target: m.target, journalPath: journal });
    expect(rest.filesSkipped).toBeGreaterThanOrEqual(1);
    expect(rest.filesCopied + rest.filesSkipped).toBe(expected.length);
    for (const f of expected) expect(await sha256(f.target)).toBe(f.sha256);
  });
});

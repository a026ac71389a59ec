/**
 * bench/copy: the migration's copy engine (parallel, verified by SHA-256, journaled) against
 * `cp -a` and `rsync -a` on the same generated content tree, in the same run; plus the resume
 * case (a second run over a finished copy). Run: `npx tsx bench/copy/index.ts [--small N]
 * [--large N] [--large-mib N] [--runs N] [--concurrency N]`. The last line printed is the JSON result.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { copyTree } from '../../electron/system/copy/index.js';
import { generateContentTree } from '../../tests/support/content-tree.js';
import { measure, printResult, round } from '../lib/index.js';

const run = promisify(execFile);

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} needs a number`);
  return v;
}

async function hasRsync(): Promise<boolean> {
  return run('rsync', ['--version']).then(
    () => true,
    () => false,
  );
}

async function main(): Promise<void> {
  const small = arg('small', 2000);
  const large = arg('large', 4);
  const largeMiB = arg('large-mib', 16);
  const runs = arg('runs', 3);
  const concurrency = arg('concurrency', 8);
  const root = await mkdtemp(path.join(os.tmpdir(), 'spsetup-bench-copy-'));
  try {
    const tree = await generateContentTree({ root, seed: 42, smallFiles: small, largeFiles: large, largeSize: largeMiB * 1024 * 1024 });
    const source = tree.layoutInput.dataDir;
    const out = path.join(root, 'out');
    const target = path.join(out, 'target');
    const journal = path.join(root, 'copy.jsonl');
    const clean = async () => {
      await rm(out, { recursive: true, force: true });
      await rm(journal, { force: true });
      await mkdir(out);
      await run('sync', []); // flush the previous run's writes outside the timing
    };

    const cpMs = await measure(() => run('cp', ['-a', source, target]), { runs, setup: clean });
    const rsync = await hasRsync();
    const rsyncMs = rsync ? await measure(() => run('rsync', ['-a', `${source}/`, `${target}/`]), { runs, setup: clean }) : undefined;
    let last: Awaited<ReturnType<typeof copyTree>> | undefined;
    const copyMs = await measure(
      async () => {
        last = await copyTree({ source, target, journalPath: journal, concurrency });
      },
      { runs, setup: clean },
    );
    if (!last || last.filesCopied !== tree.files.length || last.bytesCopied !== tree.bytes) {
      throw new Error(`the copy engine copied ${last?.filesCopied} files, expected ${tree.files.length}`);
    }
    // The target and journal of the last full copy stay: a rerun finds everything finished.
    const resumeMs = await measure(async () => {
      const r = await copyTree({ source, target, journalPath: journal, concurrency });
      if (r.filesCopied !== 0) throw new Error(`resume copied ${r.filesCopied} files again`);
    }, { runs });
    const resumeRehashMs = await measure(() => copyTree({ source, target, journalPath: journal, concurrency, rehashFinished: true }), { runs });

    printResult({
      bench: 'copy',
      files: tree.files.length,
      bytes: tree.bytes,
      tree: { smallFiles: small, largeFiles: large, largeMiB },
      runs,
      concurrency,
      copyMs: round(copyMs),
      cpMs: round(cpMs),
      rsync: rsync ? 'installed' : 'not installed',
      ...(rsyncMs !== undefined ? { rsyncMs: round(rsyncMs) } : {}),
      resumeMs: round(resumeMs),
      resumeRehashMs: round(resumeRehashMs),
      copyMiBps: round(tree.bytes / 1024 / 1024 / (copyMs / 1000), 1),
      ratios: {
        copyToCp: round(copyMs / cpMs),
        ...(rsyncMs !== undefined ? { copyToRsync: round(copyMs / rsyncMs) } : {}),
        resumeToCopy: round(resumeMs / copyMs, 3),
      },
      note:
        'floors: cp -a and rsync -a on the same tree, same run, medians. Small files: the engine reads each source once (hashing it), writes a temp file, reads it back and compares it byte for byte; ' +
        'large files (Linux): the kernel copies (copy_file_range) between the verified source and temp descriptors, then the engine reads source and copy side by side, hashing the source and comparing the copy. ' +
        'The read-back comes from the page cache, so it proves the kernel holds the bytes that were read (short writes, a share client that mangles data), not that they reached the disk. ' +
        'cp -a and rsync -a do not verify; none of the three fsyncs. resumeToCopy: a rerun over the finished copy (size and mtime checks, no re-hash) to a full copy',
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();

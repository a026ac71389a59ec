/**
 * The reference product's programs compiled and staged as the installer ships them, into a temp
 * folder (only the reference product's files are compiled, so other work in progress cannot
 * break it).
 */
import { execFile } from 'node:child_process';
import { cpSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');

function run(file: string, args: readonly string[], timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(file, [...args], { timeout: timeoutMs }, (err, stdout, stderr) => done({ code: err ? -1 : 0, out: `${stdout}${stderr}` }));
  });
}

/** Compiles and stages the programs under `root`; returns the install folder they run from. */
export async function stageReferenceProgramsIn(root: string): Promise<string> {
  const dist = join(root, 'dist');
  await writeFile(
    join(root, 'tsconfig.json'),
    JSON.stringify({
      extends: join(repo, 'build/tsconfig.base.json'),
      compilerOptions: { rootDir: repo, outDir: dist, sourceMap: false, typeRoots: [join(repo, 'node_modules/@types')] },
      include: [join(repo, 'electron/product/reference/**/*.ts'), join(repo, 'electron/shared/connection-string.ts')],
    }),
  );
  const tsc = await run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], 180_000);
  if (tsc.code !== 0) throw new Error(`tsc failed: ${tsc.out}`);
  const staged = await run(process.execPath, [join(repo, 'build/stage-reference-media.mjs'), '--dist', dist, '--out', join(root, 'media')], 60_000);
  if (staged.code !== 0) throw new Error(`staging failed: ${staged.out}`);
  const installDir = join(root, 'install', 'reference');
  cpSync(join(root, 'media'), installDir, { recursive: true });
  return installDir;
}

/**
 * Issue 19 item 12: the plan's count of a media copy is the count the progress shows ("Copy 1020
 * files" then "1006/1006" was 14 symbolic links counted as files).
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { copyTreeStep } from '../../../../electron/features/installer/steps/copy-tree.js';
import type { StepContext } from '../../../../electron/engine/step-kind.js';
import { createPosixSystem, type System } from '../../../../electron/system/system.js';

let dir: string;
let ctx: StepContext<System>;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spcl-copytree-'));
  ctx = { sys: createPosixSystem({ serviceManager: 'runit' }), secret: () => '', log: () => {}, progress: () => {}, signal: new AbortController().signal, stateDir: join(dir, 'state') };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('counts files and symbolic links apart, as the copy reports them', async () => {
  const source = join(dir, 'media');
  await mkdir(join(source, 'lib'), { recursive: true });
  for (const name of ['a', 'b', 'lib/c']) await writeFile(join(source, name), name);
  await symlink('c', join(source, 'lib', 'c.so'));
  const target = join(dir, 'opt');
  expect((await copyTreeStep.check({ source, target }, ctx)).summary).toBe(`Copy 3 file(s) and make 1 symbolic link(s) to ${target}`);
  const progress: string[] = [];
  await copyTreeStep.apply({ source, target }, { ...ctx, progress: (_p, detail) => void (detail && progress.push(detail)) });
  expect(progress.at(-1)).toBe('3/3 files');
  expect((await copyTreeStep.check({ source, target }, ctx)).action).toBe('noop');
});

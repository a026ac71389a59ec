/**
 * Issue 13: preflight checks free space and inodes where the plan writes, against what its
 * changing steps need, adding up needs that land on one file system.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSpace, planSpaceNeeds } from '../../../../electron/features/installer/space-check.js';
import type { NodeLayout } from '../../../../electron/features/installer/layout.js';
import type { Plan, PlannedStep } from '../../../../electron/shared/plan.js';
import type { System } from '../../../../electron/system/system.js';
import type { FileSystemSpace } from '../../../../electron/system/types.js';

const dir = mkdtempSync(join(tmpdir(), 'space-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const layout = { share: { root: '/share' }, dataDir: '/data', stateDir: '/state' } as unknown as NodeLayout;
const step = (id: string, kind: string, params: Record<string, unknown>, action: PlannedStep['action'] = 'create'): PlannedStep => ({ id, kind, title: id, params, action, summary: '' });
const plan = (steps: PlannedStep[]) => ({ steps }) as unknown as Plan;

/** Every path exists; each top folder is its own file system with the given room. */
function fakeSys(room: Record<string, FileSystemSpace>): System {
  return {
    files: {
      stat: async () => ({ kind: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, mtimeMs: 0 }),
      space: async (path: string) => room[`/${path.split('/')[1]}`]!,
    },
  } as unknown as System;
}

describe('space check', () => {
  it('counts the media a copy writes, the cluster initdb makes, the share folders and the state folder; noop steps need nothing', async () => {
    const media = join(dir, 'media');
    mkdirSync(join(media, 'sub'), { recursive: true });
    writeFileSync(join(media, 'a'), Buffer.alloc(3000));
    writeFileSync(join(media, 'sub', 'b'), Buffer.alloc(5000));
    const needs = await planSpaceNeeds(
      plan([
        step('share-folders', 'directory', { paths: ['/share', '/share/Apps'] }),
        step('product-files', 'copy-tree', { source: media, target: '/opt/ref' }),
        step('database-cluster', 'pg-initdb', { dataDir: '/data/db' }),
        step('config', 'file-content', { path: '/data/x.json' }, 'noop'),
      ]),
      layout,
    );
    const product = needs.find((n) => n.path === '/opt/ref')!;
    expect(product.bytes).toBe(8000 + 1024 * 1024);
    expect(product.inodes).toBe(4); // two files, one folder, the target itself
    expect(needs.find((n) => n.path === '/data/db')!.bytes).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    expect(needs.map((n) => n.path)).toEqual(['/share', '/share/Apps', '/opt/ref', '/data/db', '/state']);
  });

  it('refuses a share without the inodes or the bytes the plan needs, naming the path, what is free and what is needed', async () => {
    const needs = [
      { path: '/share', what: 'share', bytes: 1024 * 1024, inodes: 32 },
      { path: '/opt/ref', what: 'product', bytes: 10 * 1024 * 1024, inodes: 1000 },
    ];
    const roomy = { freeBytes: 1 << 30, freeInodes: 1e6, device: 'b' };
    await expect(checkSpace(fakeSys({ '/share': { freeBytes: 1 << 30, freeInodes: 5, device: 'a' }, '/opt': roomy }), needs)).rejects.toThrow(
      'Not enough room: the file system of /share has 5 free inodes; the plan creates about 32 files and folders there.',
    );
    await expect(checkSpace(fakeSys({ '/share': { freeBytes: 100 * 1024, freeInodes: 1e6, device: 'a' }, '/opt': roomy }), needs)).rejects.toThrow(
      'Not enough room: the file system of /share has 100.0 KiB free; the plan needs 1.0 MiB there.',
    );
  });

  it('adds up needs on one file system: each fits alone, together they do not', async () => {
    const needs = [
      { path: '/share', what: 'share', bytes: 6 * 1024 * 1024, inodes: 1 },
      { path: '/opt', what: 'product', bytes: 6 * 1024 * 1024, inodes: 1 },
    ];
    const one = { freeBytes: 10 * 1024 * 1024, device: 'same' };
    await expect(checkSpace(fakeSys({ '/share': one, '/opt': one }), needs)).rejects.toThrow(/has 10\.0 MiB free; the plan needs 12\.0 MiB there/);
    expect(await checkSpace(fakeSys({ '/share': one, '/opt': { ...one, device: 'other' } }), needs)).toMatch(/10\.0 MiB free, 6\.0 MiB needed/);
  });
});

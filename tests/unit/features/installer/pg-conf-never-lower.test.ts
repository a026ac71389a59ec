/**
 * Issue 19 item 13: Create run again with fewer planned nodes must not lower max_connections of
 * the server the site already uses; the plan says the higher value is kept.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pgConfStep } from '../../../../electron/features/installer/steps/pg-conf.js';
import type { StepContext } from '../../../../electron/engine/step-kind.js';
import { createPosixSystem, type System } from '../../../../electron/system/system.js';

let dir: string;
let ctx: StepContext<System>;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spcl-pgconf-'));
  ctx = { sys: createPosixSystem({ serviceManager: 'runit' }), secret: () => '', log: () => {}, progress: () => {}, signal: new AbortController().signal, stateDir: dir };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const params = (path: string, maxConnections: string) => ({ path, settings: { listen_addresses: '*', max_connections: maxConnections }, neverLower: ['max_connections'] });

describe('pg-conf with neverLower', () => {
  it('keeps a higher max_connections and says so; still sets the others', async () => {
    const path = join(dir, 'postgresql.conf');
    await writeFile(path, "listen_addresses = 'localhost'\nmax_connections = 200\n");
    const check = await pgConfStep.check(params(path, '100'), ctx);
    expect(check.action).toBe('update');
    expect(check.summary).toContain('max_connections = 200');
    expect(check.summary).toContain('max_connections stays 200, above the 100 needed');
    await pgConfStep.apply(params(path, '100'), ctx);
    const text = await readFile(path, 'utf8');
    expect(text).toMatch(/^max_connections = 200$/m);
    expect(text).toMatch(/^listen_addresses = '\*'$/m);
    await pgConfStep.verify(params(path, '100'), ctx);
    expect((await pgConfStep.check(params(path, '100'), ctx)).action).toBe('noop');
  });

  it('raises a lower one to what the nodes need', async () => {
    const path = join(dir, 'postgresql.conf');
    await writeFile(path, "listen_addresses = '*'\nmax_connections = 100\n");
    const check = await pgConfStep.check(params(path, '300'), ctx);
    expect(check.summary).not.toContain('stays');
    await pgConfStep.apply(params(path, '300'), ctx);
    expect(await readFile(path, 'utf8')).toMatch(/^max_connections = 300$/m);
  });
});

import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/pg-server.js';
import { diffSnapshots, takeSnapshot, type SnapshotOptions } from '../support/snapshot.js';
import { createTempDir, type TempDir } from '../support/temp.js';
import { startTestSupervisor, type TestSupervisor } from '../support/runit.js';
import { PosixProcesses } from '../../electron/system/posix-processes.js';
import { RunitServiceManager } from '../../electron/system/services/runit.js';

let temp: TempDir;
let server: TestServer;
let sup: TestSupervisor;
let options: SnapshotOptions;

beforeAll(async () => {
  temp = await createTempDir('spsetup-snap-');
  await mkdir(join(temp.path, 'conf'));
  await writeFile(join(temp.path, 'conf', 'app.conf'), 'a=1\n', { mode: 0o640 });
  [server, sup] = await Promise.all([startTestServer({ flavor: 'debian15' }), startTestSupervisor()]);
  const db = await server.connect();
  await db.query('CREATE TABLE nodes (name text)');
  await db.query("INSERT INTO nodes VALUES ('central')");
  await db.close();
  options = {
    roots: [temp.path],
    pg: { host: server.socketDir, port: server.port, user: server.superuser, password: server.password },
    serviceDirs: [sup.serviceDir],
  };
});
afterAll(async () => {
  await sup?.cleanup();
  await server?.stop();
  await temp?.cleanup();
});

describe('takeSnapshot and diffSnapshots', () => {
  it('finds no difference between two snapshots of an unchanged machine', async () => {
    const a = await takeSnapshot(options);
    const b = await takeSnapshot(options);
    expect(diffSnapshots(a, b)).toEqual([]);
    expect(a.database && 'tables' in a.database ? a.database.tables['postgres.public.nodes'] : undefined).toBe(1);
  });

  it('reports a changed file, an added file, a changed mode and a new table row, and holds no secret', async () => {
    const before = await takeSnapshot(options);
    await writeFile(join(temp.path, 'conf', 'app.conf'), 'a=2\n');
    await writeFile(join(temp.path, 'conf', 'new.conf'), 'b=1\n');
    await chmod(join(temp.path, 'conf'), 0o750);
    const db = await server.connect();
    await db.query("INSERT INTO nodes VALUES ('rim1')");
    await db.close();
    const after = await takeSnapshot(options);
    const conf = join(temp.path, 'conf');
    expect(diffSnapshots(before, after)).toEqual([
      `mode of ${conf}: 0755 -> 0750`,
      `content of ${conf}/app.conf changed`,
      `added file ${conf}/new.conf`,
      'rows of postgres.public.nodes: 1 -> 2',
    ]);
    expect(JSON.stringify(after)).not.toContain(server.password);
  });

  it('reports a service that appeared and its state', async () => {
    const before = await takeSnapshot(options);
    const processes = new PosixProcesses();
    const manager = new RunitServiceManager({ processes, serviceDir: sup.serviceDir, definitionsDir: sup.definitionsDir });
    await manager.install({ name: 'sp-snap', displayName: 'Snap', command: '/bin/sleep', args: ['1000'] });
    await manager.start('sp-snap');
    const after = await takeSnapshot(options);
    expect(diffSnapshots(before, after)).toEqual([`service ${sup.serviceDir}/sp-snap: absent -> run`]);
    await manager.remove('sp-snap');
  });

  it('reports a database that cannot be reached, without its password', async () => {
    const pg = { host: server.socketDir, port: server.port, user: server.superuser, password: 'wrong-password-xyz' };
    const snap = await takeSnapshot({ roots: [], pg });
    expect(snap.database).toEqual({ unreachable: '28P01' });
    expect(JSON.stringify(snap)).not.toContain('wrong-password-xyz');
  });
});

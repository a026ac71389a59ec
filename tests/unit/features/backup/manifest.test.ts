import { describe, expect, it } from 'vitest';
import { openManifest, sealManifest, type ManifestBody } from '../../../../electron/features/backup/manifest.js';
import { compareContent } from '../../../../electron/features/backup/database.js';

const CHEAP = { N: 2 ** 10, r: 8, p: 1 };
const PASS = 'Correct-Horse-Battery-42';

function body(): ManifestBody {
  return {
    format: 'spsetup-site-backup',
    formatVersion: 1,
    spsetupVersion: '0.1.0',
    product: { id: 'reference', version: '1.0.0' },
    nodes: [{ hostname: 'a', isCentral: true }],
    database: {
      name: 'QSR',
      endpoint: 'db:5432',
      serverVersionNum: 150010,
      dumpVersionMajor: 15,
      file: 'repository.dump',
      size: 10,
      sha256: 'a'.repeat(64),
      excludedSchemas: ['spsetup'],
      tables: [{ name: 'public.apps', rows: 2, md5: 'b'.repeat(32) }],
      sequences: [{ name: 'public.apps_id_seq', lastValue: '2', isCalled: true }],
    },
    share: { root: '/srv/share', dir: 'share', bytes: 3, dirs: ['Apps'], files: [{ path: 'Apps/x.qvf', size: 3, sha256: 'c'.repeat(64), mode: 0o640 }], skipped: [] },
    startedAt: new Date(0).toISOString(),
    endedAt: new Date(1000).toISOString(),
    downtimeMs: 900,
    servicesStopped: true,
  };
}

describe('site backup manifest', () => {
  it('opens with the passphrase it was sealed with', async () => {
    const text = await sealManifest(body(), PASS, CHEAP);
    expect(await openManifest(text, PASS, 'm')).toEqual(body());
  });

  it('refuses a wrong passphrase, and says so', async () => {
    const text = await sealManifest(body(), PASS, CHEAP);
    await expect(openManifest(text, 'Wrong-Horse-Battery-42', 'm')).rejects.toThrow(/passphrase is wrong/);
  });

  it('refuses a manifest whose body was changed (one checksum)', async () => {
    const outer = JSON.parse(await sealManifest(body(), PASS, CHEAP)) as { body: string };
    const changed = JSON.stringify({ ...outer, body: outer.body.replace('c'.repeat(64), 'd'.repeat(64)) });
    await expect(openManifest(changed, PASS, 'm')).rejects.toThrow(/seal does not verify/);
  });

  it('refuses a key derivation cost above the cap before deriving anything', async () => {
    const outer = JSON.parse(await sealManifest(body(), PASS, CHEAP)) as { kdf: { N: number } };
    const crafted = JSON.stringify({ ...outer, kdf: { ...outer.kdf, N: 2 ** 24 } });
    await expect(openManifest(crafted, PASS, 'm')).rejects.toThrow(/key derivation cost/);
  });

  it('refuses what is not a manifest, and a newer format', async () => {
    await expect(openManifest('{"a":1}', PASS, 'm')).rejects.toThrow(/not an spsetup site backup manifest/);
    await expect(openManifest('{"format":"spsetup-site-', PASS, 'm')).rejects.toThrow(/truncated/);
    const newer = await sealManifest({ ...body(), formatVersion: 9 }, PASS, CHEAP);
    await expect(openManifest(newer, PASS, 'm')).rejects.toThrow(/newer spsetup/);
  });
});

describe('compareContent', () => {
  const backup = body().database;
  it('is empty when equal and names each difference otherwise', () => {
    expect(compareContent(backup, backup)).toEqual([]);
    const now = { tables: [{ name: 'public.apps', rows: 1, md5: 'e'.repeat(32) }, { name: 'public.extra', rows: 4, md5: 'f'.repeat(32) }], sequences: [] };
    expect(compareContent(backup, now)).toEqual([
      'table public.apps: 1 rows, content differs (backup: 2 rows)',
      'table public.extra is not in the backup (4 rows)',
      'sequence public.apps_id_seq is missing',
    ]);
  });
});

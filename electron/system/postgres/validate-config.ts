/**
 * `postgres -C` on a candidate configuration with every include present. The files the server
 * would read (config_file and its include / include_if_exists / include_dir closure) are mirrored
 * under a private temp dir at their absolute paths, include lines pointing into the mirror, the
 * edited files replaced by their candidates; postgresql.auto.conf is read from the real data
 * directory. Nothing in the real configuration is written, and messages name the real paths.
 */
import { chown, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';
import type { Processes } from '../types.js';
import { parseConfLine, splitLines } from './conf-editor.js';
import { runPgProgram } from './run-command.js';

export interface ConfigValidation {
  readonly binDir: string;
  /** OS user that runs postgres (it refuses root). */
  readonly osUser?: string | undefined;
  /** The server's main configuration file (SHOW config_file). */
  readonly configFile: string;
  /** The data directory: postgresql.auto.conf is read from there. */
  readonly dataDir: string;
  /** Edited files: real absolute path -> candidate text. */
  readonly edits: ReadonlyMap<string, string>;
  /** Settings to read back; their effective values are returned. */
  readonly names: readonly string[];
  readonly timeoutMs?: number;
}

/** Validates the configuration as edited; returns the effective values of `names`. */
export async function validateConfig(processes: Processes, v: ConfigValidation): Promise<Readonly<Record<string, string>>> {
  const root = await mkdtemp(join(tmpdir(), 'spsetup-pgconf-'));
  const owner = v.osUser && processes.isElevated() ? await stat(v.dataDir).catch(() => undefined) : undefined;
  const created: string[] = [root];
  try {
    const mirror = (path: string) => join(root, path);
    const seen = new Set<string>();
    const copy = async (path: string): Promise<void> => {
      if (seen.has(path)) return; // an include cycle: the server reports it
      seen.add(path);
      const text = v.edits.get(path) ?? (await readFile(path, 'utf8').catch(() => undefined));
      if (text === undefined) return; // missing: the mirror lacks it too, and postgres names it
      const lines = splitLines(text);
      for (const [i, raw] of lines.entries()) {
        const line = parseConfLine(raw);
        if (line.kind !== 'include') continue;
        const target = isAbsolute(line.path) ? line.path : resolve(dirname(path), line.path);
        lines[i] = `${line.directive} '${mirror(target).replace(/'/g, "''")}'\n`;
        if (line.directive !== 'include_dir') {
          await copy(target);
          continue;
        }
        await ensureDir(mirror(target), created);
        const entries = await readdir(target).catch(() => [] as string[]);
        for (const name of entries.filter((n) => n.endsWith('.conf') && !n.startsWith('.')).sort()) await copy(join(target, name));
      }
      await ensureDir(dirname(mirror(path)), created);
      await writeFile(mirror(path), lines.join(''), { mode: 0o600 });
      created.push(mirror(path));
    };
    await copy(v.configFile);
    // hba_file and ident_file default to the config file's directory.
    for (const name of ['pg_hba.conf', 'pg_ident.conf']) {
      const path = join(dirname(v.configFile), name);
      if (!seen.has(path)) await copy(path);
    }
    if (owner) for (const path of created) await chown(path, owner.uid, owner.gid);
    const values: Record<string, string> = {};
    for (const name of v.names) {
      const args = ['-C', name, '-D', v.dataDir, '-c', `config_file=${mirror(v.configFile)}`];
      const r = await runPgProgram(processes, join(v.binDir, 'postgres'), args, { user: v.osUser, allowFailure: true, timeoutMs: v.timeoutMs ?? 20_000 });
      if (r.code !== 0) {
        const lines = r.stderr.split('\n').filter((l) => /LOG|FATAL|ERROR/.test(l) && !/skipping missing/.test(l));
        const msg = lines.map((l) => l.replace(/^.*?(LOG|FATAL|ERROR):\s*/, '')).join('; ').split(root).join('');
        throw new UserError('config-invalid', `PostgreSQL cannot use this configuration: ${msg || `postgres -C ${name} failed`}`, 'Correct the settings named above and try again.');
      }
      values[name] = r.stdout.trim();
    }
    return values;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** mkdir -p that records each directory it made (to hand them to the server's account). */
async function ensureDir(path: string, created: string[]): Promise<void> {
  const missing: string[] = [];
  for (let p = path; !(await stat(p).catch(() => undefined)); p = dirname(p)) missing.unshift(p);
  await mkdir(path, { recursive: true, mode: 0o700 });
  created.push(...missing);
}

/** `spsetup spc export | import`: the vendor's shared persistence configuration file (spc.cfg). */
import { readFile } from 'node:fs/promises';
import { ExitCode, UserError } from '../../shared/errors.js';
import type { SettingsInput } from '../../shared/settings.js';
import { mergeSpcSettings, settingsToSpc, spcToSettings } from '../../features/spc/spc.js';
import { readSpcFile, writeSpcFile } from '../../features/spc/spc-files.js';
import { writeSecretTextFile } from '../../features/bundle/files.js';
import { settingsForOtherNodes } from '../../features/bundle/cluster-bundle.js';
import { loadSettingsFile, resolveSecrets, validateSettings } from '../../features/installer/load-settings.js';
import { parseCommand, required } from '../args.js';
import type { CommandIo } from './io.js';

const PLAIN_TEXT_WARNING = 'Warning: spc.cfg holds the database password in plain text. Prefer a settings bundle (`spsetup bundle export`), which is encrypted; delete spc.cfg once used.';

async function readBase(path: string): Promise<SettingsInput> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as SettingsInput;
  } catch (err) {
    throw new UserError('invalid-input', `Cannot read the base settings ${path}: ${(err as Error).message}.`, 'Give a settings JSON file with --base.');
  }
}

/** spsetup spc export|import ... */
export async function spcCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'export') {
    const usage = 'spsetup spc export --settings F --out spc.cfg';
    const { values } = parseCommand(rest, { settings: { type: 'string' }, out: { type: 'string' } }, usage);
    const settings = await loadSettingsFile(required(values.settings, 'settings', usage));
    const out = required(values.out, 'out', usage);
    const password = (await resolveSecrets(settings, io.env)).get('database.password') ?? '';
    await writeSpcFile(out, settingsToSpc(settingsForOtherNodes(settings), password));
    io.out(`Wrote ${out} (mode 0600).`);
    io.err(PLAIN_TEXT_WARNING);
    return ExitCode.ok;
  }
  if (sub === 'import') {
    const usage = 'spsetup spc import spc.cfg [--base settings.json] [--out settings.json]';
    const { values, positionals } = parseCommand(rest, { base: { type: 'string' }, out: { type: 'string' } }, usage);
    const path = positionals[0];
    if (!path) throw new UserError('invalid-input', 'Which spc.cfg? Give its path.', `Usage: ${usage}`);
    const imported = spcToSettings(await readSpcFile(path), path);
    for (const w of imported.warnings) io.err(`Warning: ${w}`);
    io.err(PLAIN_TEXT_WARNING);
    const result = values.base ? mergeSpcSettings(await readBase(values.base), imported.settings) : imported.settings;
    if (values.base) validateSettings(result, `The settings from ${values.base} and ${path}`); // named now, not at install
    const text = `${JSON.stringify(result, null, 2)}\n`;
    if (values.out) {
      await writeSecretTextFile(values.out, text);
      io.out(`Wrote ${values.out} (mode 0600).`);
    } else {
      // A terminal, a scrollback or a CI log is not a place for the password: --out writes it 0600.
      const pw = result.database?.password;
      const shown = typeof pw === 'string' ? { ...result, database: { ...result.database, password: '***' } } : result;
      io.out(JSON.stringify(shown, null, 2));
      if (typeof pw === 'string') io.err('The database password is shown as ***: give --out FILE to write the settings with it (mode 0600).');
    }
    return ExitCode.ok;
  }
  throw new UserError('invalid-input', `Unknown spc command "${sub ?? ''}".`, 'Use `spsetup spc export` or `spsetup spc import`.');
}

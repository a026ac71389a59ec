/**
 * Reads what a program needs at start: the configuration file and the protected connection
 * string file. Messages name files, never their secret contents.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseReferenceConfig, ReferenceConfigError, type ReferenceProductConfig } from '../config.js';
import { ConnectionStringError, parseConnectionString, type ConnectionFields } from '../../../shared/connection-string.js';

export interface LoadedConfig {
  readonly config: ReferenceProductConfig;
  readonly connection: ConnectionFields;
  /** Problems worth a warning that do not stop the program. */
  readonly warnings: readonly string[];
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ReferenceConfigError(`Cannot read the ${what} ${path} (${code})`);
  }
}

/** Loads and checks the configuration and the connection string it points to. */
export async function loadProgramConfig(configPath: string): Promise<LoadedConfig> {
  const config = parseReferenceConfig(await readText(configPath, 'configuration file'));
  const raw = await readText(config.connectionStringFile, 'connection string file');
  let connection: ConnectionFields;
  try {
    connection = parseConnectionString(raw.replace(/[\r\n]+$/, ''));
  } catch (err) {
    if (err instanceof ConnectionStringError) {
      throw new ReferenceConfigError(`The connection string in ${config.connectionStringFile} is invalid: ${err.message}`);
    }
    throw err;
  }
  const warnings: string[] = [];
  if (process.platform !== 'win32') {
    const mode = (await stat(config.connectionStringFile)).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      warnings.push(`The connection string file ${config.connectionStringFile} is readable by others (mode ${mode.toString(8)}); it should be 600`);
    }
  }
  return { config, connection, warnings };
}

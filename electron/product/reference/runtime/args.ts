/**
 * Command line of the reference programs, in the real product's style:
 *   --config PATH [-bootstrap | -bootstrap=install] [-iscentral]
 */

export interface ProgramArgs {
  readonly configPath: string;
  /** 'join' for `-bootstrap`, 'install' for `-bootstrap=install`; undefined when run as a service. */
  readonly bootstrap?: 'join' | 'install';
  readonly isCentral: boolean;
}

/** The command line is wrong; the program exits 2 with this message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Reads the program's arguments (without node and the script path). */
export function parseProgramArgs(argv: readonly string[]): ProgramArgs {
  let configPath: string | undefined;
  let bootstrap: ProgramArgs['bootstrap'];
  let isCentral = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--config') {
      configPath = argv[++i];
      if (configPath === undefined || configPath === '') throw new UsageError('--config needs a file path');
    } else if (a.startsWith('--config=')) {
      configPath = a.slice('--config='.length);
    } else if (a === '-bootstrap') {
      bootstrap = 'join';
    } else if (a === '-bootstrap=install') {
      bootstrap = 'install';
    } else if (a === '-iscentral') {
      isCentral = true;
    } else {
      throw new UsageError(`Unknown argument: ${a}`);
    }
  }
  if (configPath === undefined || configPath === '') throw new UsageError('Missing --config <file>');
  if (isCentral && bootstrap === undefined) throw new UsageError('-iscentral is only valid with -bootstrap');
  return bootstrap === undefined ? { configPath, isCentral } : { configPath, bootstrap, isCentral };
}

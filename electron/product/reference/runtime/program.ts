/**
 * The frame every reference program runs in: arguments, configuration, log file, clean stop on
 * SIGTERM/SIGINT, and exit codes (0 done, 1 failed, 2 bad command line or configuration,
 * 3 refused: a second central node).
 */
import { REFERENCE_READY_LINES, ReferenceConfigError, referenceLogFile, type ReferenceProductConfig, type ReferenceServiceId } from '../config.js';
import type { ConnectionFields } from '../../../shared/connection-string.js';
import { parseProgramArgs, UsageError, type ProgramArgs } from './args.js';
import { DatabaseUnreachableError, describeDbError } from './db.js';
import { loadProgramConfig } from './load.js';
import { openLogger, stderrLogger, type Logger } from './logger.js';
import { CentralConflictError } from './schema.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, conflict: 3 } as const;

export interface ProgramContext {
  readonly id: ReferenceServiceId;
  readonly args: ProgramArgs;
  readonly config: ReferenceProductConfig;
  readonly connection: ConnectionFields;
  readonly log: Logger;
  /** Registers cleanup for a stop; runs in reverse order. */
  onStop(fn: () => unknown): void;
  /** True once a stop has begun. */
  stopping(): boolean;
  /** Stops from the background (e.g. the database stayed unreachable): cleanup, then exit. */
  shutdown(code: number, message?: string): Promise<never>;
}

/** 'serve' keeps the program running until a signal or a shutdown; a number exits with it. */
export type ProgramBody = (ctx: ProgramContext) => Promise<'serve' | number>;

/** The code and message for an error thrown by a program body. */
export function classifyError(err: unknown): { code: number; message: string } {
  if (err instanceof CentralConflictError) return { code: EXIT.conflict, message: err.message };
  if (err instanceof UsageError || err instanceof ReferenceConfigError) return { code: EXIT.usage, message: err.message };
  if (err instanceof DatabaseUnreachableError) return { code: EXIT.failed, message: err.message };
  return { code: EXIT.failed, message: describeDbError(err) };
}

/** Runs a reference program: call once at the top of its entry file. */
export function runProgram(id: ReferenceServiceId, body: ProgramBody): void {
  void start(id, body);
}

async function start(id: ReferenceServiceId, body: ProgramBody): Promise<void> {
  let log: Logger = stderrLogger(id);
  let args: ProgramArgs;
  let loaded: Awaited<ReturnType<typeof loadProgramConfig>>;
  try {
    args = parseProgramArgs(process.argv.slice(2));
    loaded = await loadProgramConfig(args.configPath);
  } catch (err) {
    const { code, message } = classifyError(err);
    log.error(message);
    process.exit(code);
  }
  log = openLogger(referenceLogFile(loaded.config, id), id);
  for (const w of loaded.warnings) log.warn(w);

  const cleanups: (() => unknown)[] = [];
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      for (const fn of cleanups.reverse()) {
        try {
          await fn();
        } catch (err) {
          log.warn(`cleanup failed: ${describeDbError(err)}`);
        }
      }
    }
    process.exit(code);
  };
  const ctx: ProgramContext = {
    id,
    args,
    config: loaded.config,
    connection: loaded.connection,
    log,
    onStop: (fn) => void cleanups.push(fn),
    stopping: () => stopping,
    shutdown: async (code, message) => {
      if (message) log.error(message);
      return stop(code);
    },
  };
  const onSignal = (signal: string) => {
    if (stopping) return;
    log.info(`${signal} received; stopping`);
    void stop(EXIT.ok).catch(() => process.exit(EXIT.failed));
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('unhandledRejection', (err) => void ctx.shutdown(EXIT.failed, `unexpected failure: ${describeDbError(err)}`));

  try {
    const outcome = await body(ctx);
    if (outcome !== 'serve') await stop(outcome);
  } catch (err) {
    if (stopping) return;
    const { code, message } = classifyError(err);
    await ctx.shutdown(code, message);
  }
}

/** The readiness line of a program, logged once it serves. */
export function readyLine(id: ReferenceServiceId): string {
  return REFERENCE_READY_LINES[id];
}

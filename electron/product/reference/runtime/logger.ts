/**
 * The programs' log: one timestamped line per event, appended synchronously so a readiness check
 * that reads the file sees a line as soon as it is written. Lines also go to stdout/stderr, which
 * the service manager or the installer captures.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type LogLevel = 'INFO' | 'WARN' | 'ERROR';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Formats one log line: ISO time, level, source, message. */
export function formatLogLine(time: Date, level: LogLevel, source: string, message: string): string {
  return `${time.toISOString()} ${level.padEnd(5)} ${source}: ${message.replace(/[\r\n]+/g, ' ')}\n`;
}

/** Opens (creates if needed) an append-only log file for a program. */
export function openLogger(file: string, source: string, echo = true): Logger {
  mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
  const write = (level: LogLevel, message: string) => {
    const line = formatLogLine(new Date(), level, source, message);
    try {
      appendFileSync(file, line, { mode: 0o640 });
    } catch (err) {
      process.stderr.write(`cannot write the log file ${file}: ${(err as Error).message}\n`);
    }
    if (echo) (level === 'INFO' ? process.stdout : process.stderr).write(line);
  };
  return { info: (m) => write('INFO', m), warn: (m) => write('WARN', m), error: (m) => write('ERROR', m) };
}

/** A logger for the moments before the log file is known. */
export function stderrLogger(source: string): Logger {
  const write = (level: LogLevel, m: string) => process.stderr.write(formatLogLine(new Date(), level, source, m));
  return { info: (m) => write('INFO', m), warn: (m) => write('WARN', m), error: (m) => write('ERROR', m) };
}

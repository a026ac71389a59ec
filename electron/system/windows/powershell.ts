/**
 * Running Windows PowerShell safely: every script travels base64-encoded in `-EncodedCommand`
 * (no quoting of the script against the command line), every value in it is a single-quoted
 * literal, and secrets arrive on stdin, never in the script or argv.
 */
import type { ExecResult } from '../types.js';
import type { CommandRunner } from './command-runner.js';

/** powershell.exe resolves through PATH (System32\WindowsPowerShell\v1.0 on every Windows Server). */
export const powershellExe = 'powershell.exe';

const defaultTimeoutMs = 120_000;

/**
 * A PowerShell single-quoted string literal. Inside one, only a quote is special and it is
 * escaped by doubling; PowerShell also treats the typographic quotes U+2018..U+201B as quotes.
 */
export function quotePs(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

/** A PowerShell array literal of single-quoted strings, e.g. @('a', 'b'). */
export function quotePsArray(values: readonly string[]): string {
  return `@(${values.map(quotePs).join(', ')})`;
}

/** The base64 of the script's UTF-16LE bytes, as `-EncodedCommand` expects. */
export function encodePsCommand(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

/** The argv for powershell.exe running `script`. */
export function buildPsArgs(script: string): readonly string[] {
  return ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encodePsCommand(script)];
}

/** The lines every script starts with: stop on the first error, UTF-8 out so Node can read non-ASCII text. */
export const psPrologue: readonly string[] = [
  "$ErrorActionPreference = 'Stop'",
  "$ProgressPreference = 'SilentlyContinue'",
  // Without a console (rare) setting the encoding throws; the default then stays.
  'try { [Console]::OutputEncoding = [System.Text.UTF8Encoding]::new($false) } catch { }',
];

/**
 * Reads stdin as UTF-8 (Windows PowerShell's [Console]::In would use the OEM code page and mangle
 * non-ASCII passwords). `line` reads one line, `all` everything.
 */
export function psReadStdin(variable: string, mode: 'line' | 'all'): readonly string[] {
  return [
    '$spsetupStdin = [System.IO.StreamReader]::new([Console]::OpenStandardInput(), [System.Text.UTF8Encoding]::new($false))',
    `$${variable} = $spsetupStdin.${mode === 'line' ? 'ReadLine()' : 'ReadToEnd()'}`,
    `if ($null -eq $${variable}) { $${variable} = '' }`,
  ];
}

export interface PsRunOptions {
  /** Written to the script's stdin (the only way a secret reaches PowerShell). */
  readonly input?: string;
  /** Masked in captured output and errors. */
  readonly secrets?: readonly string[];
  readonly timeoutMs?: number;
  readonly allowFailure?: boolean;
}

/** Runs the script lines (prologue added) through powershell.exe -EncodedCommand. */
export function runPowerShell(runner: CommandRunner, lines: readonly string[], options: PsRunOptions = {}): Promise<ExecResult> {
  const script = [...psPrologue, ...lines].join('\r\n');
  return runner.run(powershellExe, buildPsArgs(script), {
    input: options.input ?? '',
    secrets: options.secrets ?? [],
    timeoutMs: options.timeoutMs ?? defaultTimeoutMs,
    allowFailure: options.allowFailure ?? false,
  });
}

/** The last non-empty stdout line (scripts report their outcome there: created, unchanged, ...). */
export function lastLine(stdout: string): string {
  const lines = stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  return lines[lines.length - 1] ?? '';
}

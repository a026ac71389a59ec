/** A CommandRunner that records every call (file, argv, stdin) and answers from a script of responses. */
import { expect } from 'vitest';
import type { CommandRunner } from '../../../../electron/system/windows/command-runner.js';
import type { ExecOptions, ExecResult } from '../../../../electron/system/types.js';

export interface RecordedCall {
  readonly file: string;
  readonly args: readonly string[];
  readonly input: string;
  readonly options: ExecOptions;
  /** The decoded -EncodedCommand script of a powershell.exe call. */
  readonly script?: string;
}

export type Responder = (call: RecordedCall) => Partial<ExecResult> | undefined;

export class RecordingRunner implements CommandRunner {
  readonly calls: RecordedCall[] = [];
  constructor(private readonly respond: Responder = () => undefined) {}

  async run(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const script = decodeScript(args);
    const call: RecordedCall = { file, args: [...args], input: options.input ?? '', options, ...(script === undefined ? {} : { script }) };
    this.calls.push(call);
    const r = this.respond(call) ?? {};
    return { code: r.code ?? 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** Every script run, in order. */
  scripts(): string[] {
    return this.calls.flatMap((c) => (c.script === undefined ? [] : [c.script]));
  }
}

/** The script of a `powershell.exe ... -EncodedCommand B64` argv. */
export function decodeScript(args: readonly string[]): string | undefined {
  const i = args.indexOf('-EncodedCommand');
  const b64 = i >= 0 ? args[i + 1] : undefined;
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf16le');
}

/** Asserts the secret is in no argv (nor in any script that travels in argv), in any call. */
export function expectNotInArgv(calls: readonly RecordedCall[], secret: string): void {
  expect(calls.length).toBeGreaterThan(0);
  for (const call of calls) {
    for (const arg of [call.file, ...call.args]) expect(arg).not.toContain(secret);
    if (call.script !== undefined) expect(call.script).not.toContain(secret);
  }
}

/** How many times `needle` occurs in `haystack`. */
export function countOccurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/** Passwords with every character that breaks a naive command line or script. */
export const nastyPasswords: readonly string[] = [
  `p'w"d ; & % ^ \`tick\` end`,
  `a b'' "" %PATH% ^& & | < > $(Get-Date) $env:USERNAME \`$x ; rm`,
  `’typographic‘ quotes and ünïcödé ‚‛ ${'$'}{x}`,
];

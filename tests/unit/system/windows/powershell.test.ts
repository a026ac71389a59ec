import { describe, expect, it } from 'vitest';
import { buildWindowsCommandLine, quoteWindowsArg, splitWindowsCommandLine } from '../../../../electron/system/windows/command-line.js';
import { buildPsArgs, encodePsCommand, quotePs, quotePsArray, runPowerShell } from '../../../../electron/system/windows/powershell.js';
import { RecordingRunner, decodeScript, nastyPasswords } from './recording-runner.js';

/** Reads one PowerShell single-quoted literal the way the PowerShell tokenizer does. */
function readPsLiteral(text: string): { value: string; rest: string } {
  const quotes = new Set(["'", '\u2018', '\u2019', '\u201a', '\u201b']);
  const isQuote = (ch: string | undefined): boolean => ch !== undefined && quotes.has(ch);
  if (!isQuote(text[0])) throw new Error('not a literal');
  let value = '';
  let i = 1;
  for (;;) {
    const ch = text[i];
    if (ch === undefined) throw new Error('unterminated literal');
    if (isQuote(ch)) {
      if (isQuote(text[i + 1])) {
        value += ch;
        i += 2;
        continue;
      }
      return { value, rest: text.slice(i + 1) };
    }
    value += ch;
    i += 1;
  }
}

describe('PowerShell quoting', () => {
  it.each([...nastyPasswords, "O'Brien", 'C:\\Program Files\\Qlik Sense', "\\\\srv\\it's shared", '', 'plain'])(
    'round-trips %j as one single-quoted literal with nothing after it',
    (value) => {
      const { value: parsed, rest } = readPsLiteral(quotePs(value));
      expect(parsed).toBe(value);
      expect(rest).toBe('');
    },
  );

  it('doubles straight and typographic single quotes, leaves $ and backticks inert', () => {
    expect(quotePs("it's")).toBe("'it''s'");
    expect(quotePs('a\u2019b')).toBe("'a\u2019\u2019b'");
    expect(quotePs('$(x) `n')).toBe("'$(x) `n'");
    expect(quotePsArray(["a b", "c'd"])).toBe("@('a b', 'c''d')");
  });

  it('passes scripts as UTF-16LE base64 in -EncodedCommand, never as plain text', async () => {
    expect(encodePsCommand('A')).toBe('QQA=');
    expect(buildPsArgs("Write-Output 'x'").slice(0, 6)).toEqual(['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand']);
    const runner = new RecordingRunner();
    await runPowerShell(runner, ["Write-Output 'hi'"], { input: 'secret\n', secrets: ['secret'] });
    const call = runner.calls[0]!;
    expect(call.file).toBe('powershell.exe');
    expect(call.input).toBe('secret\n');
    expect(call.options.secrets).toEqual(['secret']);
    expect(decodeScript(call.args)).toBe(
      [
        "$ErrorActionPreference = 'Stop'",
        "$ProgressPreference = 'SilentlyContinue'",
        'try { [Console]::OutputEncoding = [System.Text.UTF8Encoding]::new($false) } catch { }',
        "Write-Output 'hi'",
      ].join('\r\n'),
    );
  });
});

describe('Windows command lines (a service binPath)', () => {
  it.each([
    ['plain', 'plain'],
    ['with space', '"with space"'],
    ['', '""'],
    ['say "hi"', '"say \\"hi\\""'],
    ['C:\\dir with space\\', '"C:\\dir with space\\\\"'],
    ['back\\\\"slash', '"back\\\\\\\\\\"slash"'],
  ])('quotes %j as %s', (arg, quoted) => {
    expect(quoteWindowsArg(arg)).toBe(quoted);
    expect(splitWindowsCommandLine(quoted)).toEqual([arg]);
  });

  it('splits a built command line back into exactly its arguments', () => {
    const args = ['--config', 'C:\\ProgramData\\spsetup\\it\'s here\\', 'a"b', '', '--x=1 2'];
    const line = buildWindowsCommandLine('C:\\Program Files\\spsetup\\node.exe', args);
    expect(line.startsWith('"C:\\Program Files\\spsetup\\node.exe" ')).toBe(true);
    expect(splitWindowsCommandLine(line)).toEqual(['C:\\Program Files\\spsetup\\node.exe', ...args]);
  });
});

/** Building a Windows command line (a service's binPath) that CommandLineToArgvW splits back exactly. */

/** Quotes one argument by the MSVCRT / CommandLineToArgvW rules (backslashes doubled before a quote). */
export function quoteWindowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes += 1;
    } else if (ch === '"') {
      out += '\\'.repeat(backslashes * 2 + 1) + '"';
      backslashes = 0;
    } else {
      out += '\\'.repeat(backslashes) + ch;
      backslashes = 0;
    }
  }
  return `${out}${'\\'.repeat(backslashes * 2)}"`;
}

/** The command line of an executable and its arguments; the executable is always quoted (Program Files has a space). */
export function buildWindowsCommandLine(exe: string, args: readonly string[]): string {
  return [`"${exe}"`, ...args.map(quoteWindowsArg)].join(' ');
}

/** Splits a command line like CommandLineToArgvW does (used to compare an installed binPath). */
export function splitWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i += 1;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    for (; i < line.length; i += 1) {
      const ch = line[i]!;
      if (ch === '\\') {
        let n = 0;
        while (line[i] === '\\') {
          n += 1;
          i += 1;
        }
        if (line[i] === '"') {
          arg += '\\'.repeat(Math.floor(n / 2));
          if (n % 2 === 1) arg += '"';
          else quoted = !quoted;
        } else {
          arg += '\\'.repeat(n);
          i -= 1;
        }
      } else if (ch === '"') {
        if (quoted && line[i + 1] === '"') {
          arg += '"';
          i += 1;
        } else quoted = !quoted;
      } else if (/\s/.test(ch) && !quoted) {
        break;
      } else arg += ch;
    }
    args.push(arg);
  }
  return args;
}

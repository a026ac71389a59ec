/** Prints a benchmark's result: the last line of its output is one JSON object. */
export function printResult(result: Readonly<Record<string, unknown>>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

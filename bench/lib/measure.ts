/** Timing helpers shared by the benchmarks: each bench measures its baseline in the same run. */

export interface MeasureOptions {
  /** Timed runs (default 3); the median is reported. */
  readonly runs?: number;
  /** Untimed work before each run (e.g. removing the previous run's output). */
  readonly setup?: () => Promise<void> | void;
}

/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs `fn` `runs` times (after an untimed setup each time) and returns the median in ms. */
export async function measure(fn: () => Promise<unknown> | unknown, options: MeasureOptions = {}): Promise<number> {
  const runs = Math.max(1, options.runs ?? 3);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    await options.setup?.();
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

/** Rounds to a few decimals for readable JSON. */
export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Shared helpers for benchmarks. */
export { measure, median, round } from './measure.js';
export type { MeasureOptions } from './measure.js';
export { printResult } from './print-result.js';

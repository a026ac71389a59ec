/** The part every applying command shares: preflight shown, plan reviewed, confirmation, progress, summary. */
import { createInterface } from 'node:readline/promises';
import { ExitCode, UserError, exitCodeForRun } from '../shared/errors.js';
import type { CheckOutcome } from '../shared/ipc.js';
import type { Plan, ProgressEvent } from '../shared/plan.js';
import type { RunResult } from '../engine/runner.js';
import type { Reporter } from '../features/installer/reporter.js';
import { renderPlan, renderPreflight, renderSummary } from './render.js';
import type { CommandIo } from './commands/io.js';

/** The exit code of a finished run (errors.ts: 1 only when it changed something; a rollback that left changes is 1). */
export function exitFor(result: RunResult): number {
  const left = result.outcome === 'rolled-back' ? result.unchanged.length : 0;
  return exitCodeForRun({ outcome: result.outcome, touched: result.touched, left, ...(result.error ? { error: result.error } : {}) });
}

/** Asks a yes/no question when a person is at the terminal; false otherwise. */
async function confirm(io: CommandIo, question: string): Promise<boolean> {
  if (!io.interactive) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export interface ApplyPreparedOptions {
  readonly plan: Plan;
  readonly preflight: readonly CheckOutcome[];
  readonly reporter: Reporter;
  readonly io: CommandIo;
  readonly yes: boolean;
  readonly silent: boolean;
  readonly apply: (hooks: { onEvent: (e: ProgressEvent) => void; signal: AbortSignal }) => Promise<RunResult>;
  readonly next: (result: RunResult) => string;
}

/** Refuses while preflight fails; shows the plan; asks unless --yes/--silent; applies; sums up. Ctrl+C cancels between steps. */
export async function applyPrepared(o: ApplyPreparedOptions): Promise<number> {
  o.reporter.log(renderPlan(o.plan));
  o.reporter.say(renderPreflight(o.preflight));
  if (o.preflight.some((c) => !c.ok)) {
    o.reporter.say(`\nNothing was changed. Log: ${o.reporter.logFiles.join(', ')}`);
    return ExitCode.preflightFailed;
  }
  const changes = o.plan.steps.filter((s) => s.action !== 'noop').length;
  if (!o.silent) o.io.out(`\n${renderPlan(o.plan)}\n`);
  if (!o.yes && !o.silent && !(await confirm(o.io, `Apply these ${changes} change(s)? [y/N] `))) {
    throw new UserError('invalid-input', 'Not confirmed: nothing was changed.', 'Answer y, or pass --yes (or --silent) to apply without asking.');
  }
  const controller = new AbortController();
  const onSignal = () => {
    o.reporter.say('Cancelling after the current step ...');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  try {
    const result = await o.apply({ onEvent: (e) => o.reporter.event(e), signal: controller.signal });
    o.reporter.say(renderSummary(result, o.reporter.logFiles, o.next(result)));
    return exitFor(result);
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/**
 * What every plan-only command line prints: `spsetup plan` and `install --plan`, `migrate plan` and
 * `migrate run --plan`. One code path, so the two spellings cannot show different plans.
 */
import { ExitCode } from '../shared/errors.js';
import type { CheckOutcome } from '../shared/ipc.js';
import type { Plan } from '../shared/plan.js';
import { renderPlan, renderPreflight } from './render.js';
import type { CommandIo } from './commands/io.js';

export interface PlanView {
  readonly plan: Plan;
  readonly preflight: readonly CheckOutcome[];
}

/** Prints the plan and its preflight (text, or one JSON document); exit 3 while a check fails, else 0. */
export function showPlan(io: CommandIo, view: PlanView, options: { readonly json: boolean; readonly header?: string; readonly extra?: Readonly<Record<string, unknown>> }): number {
  if (options.json) io.out(JSON.stringify({ ...options.extra, plan: view.plan, preflight: view.preflight }, null, 2));
  else io.out(`${options.header ? `${options.header}\n\n` : ''}${renderPlan(view.plan)}\n\n${renderPreflight(view.preflight)}`);
  return view.preflight.every((c) => c.ok) ? ExitCode.ok : ExitCode.preflightFailed;
}

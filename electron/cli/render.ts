/** Plain-text views of plans, preflight results and run summaries for the terminal and the log. */
import type { CheckOutcome } from '../shared/ipc.js';
import type { Plan } from '../shared/plan.js';
import type { RunResult } from '../engine/runner.js';
import type { UndoItem } from '../engine/rollback.js';
import type { SiteOperationPlan } from '../shared/site.js';
import { formatDuration } from '../shared/format.js';

/** The plan as a person reads it: every step with its action, and the diff of every file edit. */
export function renderPlan(plan: Plan): string {
  const lines = [`Plan: ${plan.title}`, ''];
  for (const [i, s] of plan.steps.entries()) {
    lines.push(`${String(i + 1).padStart(2)}. [${s.action}] ${s.title}`);
    lines.push(`      ${s.summary}`);
    if (s.diff) lines.push(...s.diff.trimEnd().split('\n').map((l) => `      ${l}`));
  }
  const changes = plan.steps.filter((s) => s.action !== 'noop').length;
  lines.push('', `${changes} of ${plan.steps.length} step(s) will change something.`);
  for (const w of plan.warnings) lines.push(`Warning: ${w}`);
  return lines.join('\n');
}

/** Preflight results, failures with what to do. */
export function renderPreflight(checks: readonly CheckOutcome[]): string {
  const lines = ['Preflight:'];
  for (const c of checks) {
    lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.title}: ${c.message}`);
    if (!c.ok && c.fix) lines.push(`       What to do: ${c.fix}`);
  }
  return lines.join('\n');
}

/** The closing summary: what changed, where the log is, what to do next. */
export function renderSummary(result: RunResult, logFiles: readonly string[], next: string): string {
  const lines = [
    '',
    `Result: ${result.outcome}.`,
    `Changed: ${result.changed.length ? result.changed.join(', ') : 'nothing'}.`,
    `Unchanged: ${result.unchanged.length}.`,
    `Log: ${logFiles.join(', ')}`,
  ];
  if (result.error) lines.push(`Failed at ${result.failedStep ?? 'a step'}: ${result.error.message}`, ...(result.error.fix ? [`What to do: ${result.error.fix}`] : []));
  lines.push(`Next: ${next}`);
  return lines.join('\n');
}

/** What `spsetup rollback` would undo, newest first, and what it would have to leave. */
export function renderRollbackPlan(items: readonly UndoItem[]): string {
  if (!items.length) return 'Rollback: nothing to undo (no recorded change is left).';
  const lines = [`Rollback would undo ${items.length} change(s), newest first:`];
  for (const item of items) {
    const how = item.cannot ? `NOT undone: ${item.cannot}` : item.undoneWith ? `undone with "${item.undoneWith}"` : 'undo';
    lines.push(`  - ${item.step.title} [${item.step.id}] (${how})`);
  }
  const left = items.filter((i) => i.cannot).length;
  if (left) lines.push(`${left} change(s) would stay in place: rollback would exit 1 and name them.`);
  return lines.join('\n');
}

/** The plan of a site operation (no brackets: `--json` output follows it and is found by its first "["). */
export function renderSitePlan(plan: SiteOperationPlan): string {
  const lines = [`Plan: ${plan.title} in ${plan.database}, each node within ${formatDuration(plan.timeoutMs)}`];
  for (const b of plan.before) lines.push(`  first, here: ${b}`);
  for (const n of plan.nodes) {
    lines.push(`  ${n.hostname}${n.isCentral ? ' (central)' : ''}${n.reachable ? '' : ' (no recent heartbeat)'}:`);
    for (const s of n.steps) lines.push(`    - ${s}`);
  }
  for (const w of plan.warnings) lines.push(`Warning: ${w}`);
  return lines.join('\n');
}

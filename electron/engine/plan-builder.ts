/** Turns a list of wanted steps into a Plan by asking each step kind what it would change. */
import { createHash } from 'node:crypto';
import type { Plan, PlannedStep } from '../shared/plan.js';
import { fingerprintFacts, stableStringify } from './fingerprint.js';
import type { StepRegistry } from './registry.js';
import type { StepContext, StepDraft } from './step-kind.js';

export type { StepDraft };

export interface PlanDraft {
  readonly title: string;
  readonly steps: readonly StepDraft[];
  readonly secrets: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Runs every step's read-only check to record its action and diff. Steps that depend on an
 * earlier step's result report what they would do on the machine as it is now.
 */
export async function previewPlan<Sys>(
  draft: PlanDraft,
  facts: Readonly<Record<string, unknown>>,
  registry: StepRegistry<Sys>,
  ctx: Omit<StepContext<Sys>, 'log' | 'progress'>,
): Promise<Plan> {
  const steps: PlannedStep[] = [];
  const checkCtx: StepContext<Sys> = {
    ...ctx,
    log: () => undefined,
    progress: () => undefined,
  };
  for (const draftStep of draft.steps) {
    const kind = registry.get(draftStep.kind);
    const check = await kind.check(kind.params.parse(draftStep.params), checkCtx);
    steps.push({
      ...draftStep,
      action: check.action,
      summary: check.summary,
      ...(check.diff ? { diff: check.diff } : {}),
      ...(check.basis && Object.keys(check.basis).length ? { basis: check.basis } : {}),
    });
  }
  const { fingerprint, digests } = fingerprintFacts(facts);
  const content = { title: draft.title, fingerprint, steps, secrets: draft.secrets, warnings: draft.warnings };
  // The id is the plan's content: a plan made again on an unchanged machine has the same id, so
  // a process that never saw the plan shown (the elevated agent) can prove it applies that plan.
  const id = createHash('sha256').update(stableStringify(content)).digest('hex').slice(0, 32);
  return { version: 1, id, createdAt: new Date().toISOString(), factDigests: digests, ...content };
}

/** Turns a list of wanted steps into a Plan by asking each step kind what it would change. */
import { randomUUID } from 'node:crypto';
import type { Plan, PlannedStep, StepParams } from '../shared/plan.js';
import { fingerprintFacts } from './fingerprint.js';
import type { StepRegistry } from './registry.js';
import type { StepContext } from './step-kind.js';

export interface StepDraft {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly params: StepParams;
}

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
    const step: PlannedStep = { ...draftStep, action: check.action, summary: check.summary };
    steps.push(check.diff ? { ...step, diff: check.diff } : step);
  }
  const { fingerprint, digests } = fingerprintFacts(facts);
  return {
    version: 1,
    id: randomUUID(),
    createdAt: new Date().toISOString(),
    title: draft.title,
    fingerprint,
    factDigests: digests,
    steps,
    secrets: draft.secrets,
    warnings: draft.warnings,
  };
}

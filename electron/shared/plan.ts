/** A plan is data: the steps apply will run, each with what it will change and, for files, a diff. */
import type { NodeOutcome } from './site.js';
import type { ErrorInfo } from './errors.js';

export type StepAction = 'create' | 'update' | 'delete' | 'run' | 'noop';

/** A reference to a secret by name; the value is supplied at apply time and never stored. */
export interface SecretRef {
  readonly secret: string;
}

/** JSON-compatible step parameters (secrets appear only as SecretRef). */
export type StepParams = Readonly<Record<string, unknown>>;

export interface PlannedStep {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly params: StepParams;
  /** What the step's check found when the plan was made. */
  readonly action: StepAction;
  readonly summary: string;
  /** Unified diff for a file edit. */
  readonly diff?: string;
  /** What the check was based on (e.g. a file's SHA-256); apply refuses the plan when it differs. */
  readonly basis?: Readonly<Record<string, string>>;
  /** A step whose undo also reverts this one (e.g. changes inside a database that rollback removes). */
  readonly undoneWith?: string;
}

export interface Plan {
  readonly version: 1;
  readonly id: string;
  readonly createdAt: string;
  readonly title: string;
  /** Hash of the facts the plan was built from; a plan whose facts changed is stale. */
  readonly fingerprint: string;
  /** Digest of each fact, so a stale plan can say which fact changed. */
  readonly factDigests: Readonly<Record<string, string>>;
  readonly steps: readonly PlannedStep[];
  /** Names of the secrets apply needs. */
  readonly secrets: readonly string[];
  readonly warnings: readonly string[];
}

export type RunMode = 'apply' | 'resume' | 'rollback';
export type RunOutcome = 'done' | 'failed' | 'cancelled' | 'rolled-back';

/** Typed progress events streamed from the runner to the CLI, the agent and the GUI. */
export type ProgressEvent =
  | { readonly kind: 'run-started'; readonly planId: string; readonly mode: RunMode; readonly total: number }
  | { readonly kind: 'step-started'; readonly stepId: string; readonly title: string; readonly index: number; readonly total: number }
  | { readonly kind: 'step-progress'; readonly stepId: string; readonly percent: number; readonly detail?: string }
  | { readonly kind: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string; readonly stepId?: string }
  | { readonly kind: 'step-finished'; readonly stepId: string; readonly changed: boolean; readonly index: number; readonly total: number }
  | { readonly kind: 'step-failed'; readonly stepId: string; readonly error: ErrorInfo }
  /** A site operation's per-node outcomes so far (the Site screen's progress). */
  | { readonly kind: 'site-progress'; readonly operationId: string; readonly outcomes: readonly NodeOutcome[] }
  | {
      readonly kind: 'run-finished';
      readonly outcome: RunOutcome;
      readonly changed: readonly string[];
      readonly unchanged: readonly string[];
      readonly error?: ErrorInfo;
    };

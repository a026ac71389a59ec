/**
 * A step kind: the unit of change. `check` reads the machine and says what apply would change
 * (with a diff for file edits); `apply` makes the change; `verify` proves it; `undo` reverts it
 * where that is possible. Every kind is idempotent: apply after a finished apply changes nothing.
 */
import type { z } from 'zod';
import type { StepAction, StepParams } from '../shared/plan.js';
import type { CheckBasis } from './basis.js';

export interface CheckResult {
  readonly action: StepAction;
  readonly summary: string;
  readonly diff?: string;
  /** The observed state the check compared (e.g. the SHA-256 of the file it would edit), re-checked at apply. */
  readonly basis?: CheckBasis;
}

/** JSON data an apply leaves for its undo (e.g. a backup path); never a secret. */
export type UndoRecord = Readonly<Record<string, unknown>>;

/** What an undo could not revert, in words a person can act on. */
export interface UndoOutcome {
  /** Set when something was left in place. */
  readonly kept?: string;
}

export interface StepContext<Sys> {
  readonly sys: Sys;
  /** Resolves a secret by name at apply time. */
  secret(name: string): string;
  log(message: string, level?: 'info' | 'warn' | 'error'): void;
  progress(percent: number, detail?: string): void;
  readonly signal: AbortSignal;
  /** Where backups and step state go. */
  readonly stateDir: string;
}

export interface StepKind<P, Sys> {
  readonly kind: string;
  readonly params: z.ZodType<P>;
  check(params: P, ctx: StepContext<Sys>): Promise<CheckResult>;
  apply(params: P, ctx: StepContext<Sys>): Promise<UndoRecord | void>;
  verify(params: P, ctx: StepContext<Sys>): Promise<void>;
  /** Reverts apply; returns what it had to leave in place and why (rollback then says so and exits non-zero). */
  undo?(params: P, ctx: StepContext<Sys>, record: UndoRecord | undefined): Promise<UndoOutcome | void>;
}

/** A step as a planner wants it, before its check says what it would change. */
export interface StepDraft {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly params: StepParams;
  /** A step whose undo also reverts this one (see PlannedStep). */
  readonly undoneWith?: string;
}

/** Options of a planned step beyond its params. */
export interface DraftOptions {
  /** A step whose undo also reverts this one (e.g. the database cluster for what is inside it). */
  readonly undoneWith?: string | undefined;
}

/** A step kind with its typed constructor: planners make its steps with `draft`, whose params the kind's schema types. */
export type DefinedStepKind<S extends z.ZodType, Sys> = StepKind<z.output<S>, Sys> & {
  readonly params: S;
  draft(id: string, title: string, params: z.input<S>, options?: DraftOptions): StepDraft;
};

/** Any step kind, as held by a registry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStepKind<Sys> = StepKind<any, Sys>;

/** Defines a step kind with its parameter type inferred from its schema. */
export function defineStepKind<S extends z.ZodType, Sys>(kind: StepKind<z.output<S>, Sys> & { params: S }): DefinedStepKind<S, Sys> {
  return {
    ...kind,
    draft: (id, title, params, options = {}) => ({ id, kind: kind.kind, title, params: params as StepParams, ...(options.undoneWith !== undefined ? { undoneWith: options.undoneWith } : {}) }),
  };
}

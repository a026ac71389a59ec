/** The step kinds an engine instance knows, by name. */
import { UserError } from '../shared/errors.js';
import type { AnyStepKind } from './step-kind.js';

export class StepRegistry<Sys> {
  private readonly kinds = new Map<string, AnyStepKind<Sys>>();

  constructor(kinds: readonly AnyStepKind<Sys>[] = []) {
    for (const k of kinds) this.register(k);
  }

  /** Adds a step kind; a name may be registered once. */
  register(kind: AnyStepKind<Sys>): void {
    if (this.kinds.has(kind.kind)) throw new Error(`step kind registered twice: ${kind.kind}`);
    this.kinds.set(kind.kind, kind);
  }

  /** Whether a kind of that name is known. */
  has(name: string): boolean {
    return this.kinds.has(name);
  }

  /** The step kind of that name, or an error naming it. */
  get(name: string): AnyStepKind<Sys> {
    const kind = this.kinds.get(name);
    if (!kind) throw new UserError('invalid-input', `The plan uses an unknown step kind "${name}".`, 'Make the plan again with this version of spsetup.');
    return kind;
  }
}

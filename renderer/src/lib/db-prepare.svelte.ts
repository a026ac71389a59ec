/**
 * Preparing an existing database server from the wizard (Svelte 5 runes): the same plan as
 * `spsetup db prepare --plan`, shown first; Prepare applies only that plan, for the same settings.
 */
import type { ErrorInfo } from '../../../electron/shared/errors.js';
import type { RunResult } from '../../../electron/shared/ipc.js';
import type { Plan, ProgressEvent } from '../../../electron/shared/plan.js';
import type { FieldIssue } from '../../../electron/shared/settings.js';
import { api, errorOf } from './api.js';
import { toDbPrepareSettings } from './form.js';
import type { Wizard } from './wizard.svelte.js';

export class DbPreparePanel {
  plan = $state<Plan | undefined>(undefined);
  invalid = $state<readonly FieldIssue[]>([]);
  /** The settings the shown plan was made for: Prepare needs the same ones. */
  plannedFor = $state<string | undefined>(undefined);
  error = $state<ErrorInfo | undefined>(undefined);
  busy = $state(false);
  /** Ids of the steps finished in the run, in order. */
  finished = $state<string[]>([]);
  result = $state<RunResult | undefined>(undefined);

  // Getters over the form's state (reactive where read): the wizard is a constructor parameter.
  get key(): string {
    return JSON.stringify(toDbPrepareSettings(this.wizard.form));
  }
  get issues(): string[] {
    return this.wizard.form.superuserPassword === '' ? ['Enter the password of the PostgreSQL superuser.'] : [];
  }
  get canApply(): boolean {
    return this.plan !== undefined && this.plannedFor === this.key && !this.busy && this.result === undefined;
  }

  constructor(readonly wizard: Wizard) {}

  /** Reads the server and shows what would change; nothing changes. */
  async showPlan(): Promise<void> {
    if (this.issues.length) return;
    this.busy = true;
    this.error = undefined;
    this.plan = undefined;
    this.invalid = [];
    this.result = undefined;
    this.finished = [];
    const key = this.key;
    try {
      const r = await api().planDbPrepare({ settings: toDbPrepareSettings(this.wizard.form) });
      if ('invalid' in r) this.invalid = r.invalid;
      else {
        this.plan = r.plan;
        this.plannedFor = key;
      }
    } catch (err) {
      this.error = errorOf(err);
    } finally {
      this.busy = false;
    }
  }

  /** Applies the shown plan. */
  async apply(): Promise<void> {
    const plan = this.plan;
    if (!this.canApply || plan === undefined) return;
    this.busy = true;
    this.error = undefined;
    const unsubscribe = api().onEvent((e: ProgressEvent) => {
      if (e.kind === 'step-finished') this.finished.push(e.stepId);
    });
    try {
      this.result = await api().applyDbPrepare({ planId: plan.id, settings: toDbPrepareSettings(this.wizard.form) });
      if (this.result.error) this.error = this.result.error;
    } catch (err) {
      this.error = errorOf(err);
    } finally {
      unsubscribe();
      this.busy = false;
    }
  }
}

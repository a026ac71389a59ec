/** The Migrate an existing site flow's state (Svelte 5 runes): detection, the migration plan, the run and its resume. */
import type { ErrorInfo } from '../../../electron/shared/errors.js';
import type { DetectedMigration, MigrationPlanResult, RunResult } from '../../../electron/shared/ipc.js';
import { api, errorOf } from './api.js';
import type { ProgressEvent } from '../../../electron/shared/plan.js';
import type { Run } from './run.svelte.js';
import type { Wizard } from './wizard.svelte.js';

/** What the migration flow may use of the wizard: it reads and fills the form only through these. */
export interface MigrationHost {
  readonly wizard: Pick<Wizard, 'migration' | 'fillFromDetection' | 'detectionKey' | 'goTo' | 'screen'>;
  readonly run: Pick<Run, 'begin' | 'continue'>;
  stream(start: (onEvent: (e: ProgressEvent) => void) => Promise<RunResult>): Promise<void>;
}

export class Migration {
  detected = $state<DetectedMigration | undefined>(undefined);
  detectError = $state<ErrorInfo | undefined>(undefined);
  detecting = $state(false);
  detectedFor = $state<string | undefined>(undefined);
  planResult = $state<MigrationPlanResult | undefined>(undefined);
  planError = $state<ErrorInfo | undefined>(undefined);
  planning = $state(false);
  canMigrate = $derived(this.planResult !== undefined && this.planResult.preflight.every((c) => c.ok) && !this.planning);

  constructor(readonly flow: MigrationHost) {}

  /** True when detection ran for the folders now in the form. */
  get current(): boolean {
    return this.detected !== undefined && this.detectedFor === this.flow.wizard.detectionKey();
  }

  /** Reads the node and names its scenario; fills the database fields from its configuration. Returns true when a site was found. */
  async detect(): Promise<boolean> {
    this.detecting = true;
    this.detectError = undefined;
    try {
      const found = await api().detectMigration({ migration: this.flow.wizard.migration() });
      this.detected = found;
      this.detectedFor = this.flow.wizard.detectionKey();
      this.flow.wizard.fillFromDetection(found);
      return true;
    } catch (err) {
      this.detected = undefined;
      this.detectedFor = undefined;
      this.detectError = errorOf(err);
      return false;
    } finally {
      this.detecting = false;
    }
  }

  /** Detection, preflight and the whole plan (the Ready to migrate screen); changes nothing. */
  async plan(): Promise<void> {
    this.planning = true;
    this.planError = undefined;
    this.planResult = undefined;
    try {
      this.planResult = await api().planMigration({ migration: this.flow.wizard.migration() });
      this.detected = this.planResult.detected;
    } catch (err) {
      this.planError = errorOf(err);
    } finally {
      this.planning = false;
    }
  }

  /** Applies the plan shown on Ready to migrate. */
  async migrate(): Promise<void> {
    const result = this.planResult;
    if (result === undefined) return;
    this.flow.run.begin(result.plan);
    this.flow.wizard.goTo('installing');
    await this.flow.stream(() => api().applyMigration({ planId: result.plan.id, migration: this.flow.wizard.migration() }));
  }

  /** Continues this node's unfinished migration (after a failure, or one found by detection). */
  async resume(): Promise<void> {
    if (this.flow.wizard.screen !== 'installing') {
      this.flow.run.begin(this.planResult?.plan);
      this.flow.wizard.goTo('installing');
    } else this.flow.run.continue();
    await this.flow.stream(() => api().resumeMigration({ migration: this.flow.wizard.migration() }));
  }
}

/** The Migrate an existing site flow's state (Svelte 5 runes): detection, the migration plan, the run and its resume. */
import type { ErrorInfo } from '../../../electron/shared/errors.js';
import type { DetectedMigration, MigrationPlanResult } from '../../../electron/shared/ipc.js';
import { api, errorOf } from './api.js';
import type { Flow } from './wizard.svelte.js';

/** The folders detection looked at, to tell when it must run again. */
const siteKey = (f: { installDir: string; dataDir: string; product: string }): string => JSON.stringify([f.installDir.trim(), f.dataDir.trim(), f.product]);

export class Migration {
  detected = $state<DetectedMigration | undefined>(undefined);
  detectError = $state<ErrorInfo | undefined>(undefined);
  detecting = $state(false);
  detectedFor = $state<string | undefined>(undefined);
  planResult = $state<MigrationPlanResult | undefined>(undefined);
  planError = $state<ErrorInfo | undefined>(undefined);
  planning = $state(false);
  canMigrate = $derived(this.planResult !== undefined && this.planResult.preflight.every((c) => c.ok) && !this.planning);

  constructor(readonly flow: Flow) {}

  /** True when detection ran for the folders now in the form. */
  get current(): boolean {
    return this.detected !== undefined && this.detectedFor === siteKey(this.flow.wizard.form);
  }

  /** Reads the node and names its scenario; fills the database fields from its configuration. Returns true when a site was found. */
  async detect(): Promise<boolean> {
    const form = this.flow.wizard.form;
    this.detecting = true;
    this.detectError = undefined;
    try {
      const found = await api().detectMigration({ migration: this.flow.wizard.migration() });
      this.detected = found;
      this.detectedFor = siteKey(form);
      // The node's configuration names its repository database; the central node keeps its registered name.
      form.dbHost = found.database.host;
      form.dbPort = String(found.database.port);
      if (found.database.name !== '') form.dbName = found.database.name;
      if (found.database.user !== '') form.dbUser = found.database.user;
      const central = found.nodes.find((n) => n.isCentral);
      if (form.migrationRole === 'central' && central) form.hostname = central.hostname;
      if (!form.maxConnectionsEdited && found.nodes.length > 1) form.plannedNodes = String(Math.min(8, found.nodes.length));
      this.flow.wizard.changed();
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

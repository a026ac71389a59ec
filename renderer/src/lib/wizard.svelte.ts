/** The wizard's state (Svelte 5 runes): form, current screen, validation, environment. */
import type { DetectedMigration, EnvironmentInfo, MigrationInput, PlanResult, RunResult } from '../../../electron/shared/ipc.js';
import type { ProgressEvent } from '../../../electron/shared/plan.js';
import { Run } from './run.svelte.js';
import type { ErrorInfo } from '../../../electron/shared/errors.js';
import type { SettingsInput } from '../../../electron/shared/settings.js';
import { api, errorOf } from './api.js';
import { applyDetected, applySettings, computeIssues, deriveFields, initialForm, SCREEN_FIELDS, screensFor, toMigration, toSettings } from './form.js';
import { Migration } from './migration.svelte.js';
import type { Form, ScreenId } from './form.js';

export class Wizard {
  env = $state<EnvironmentInfo | undefined>(undefined);
  loadError = $state<ErrorInfo | undefined>(undefined);
  form = $state<Form>(initialForm());
  screen = $state<ScreenId>('welcome');
  /** Fields whose errors are shown: touched ones, and all of a screen after a refused Next. */
  touched = $state<Record<string, boolean>>({});
  issues = $derived(computeIssues(this.form));
  screens = $derived(screensFor(this.form));
  index = $derived(this.screens.indexOf(this.screen));
  /** Screens the user has reached (the sidebar lets them go back to any of these). */
  visited = $state<Partial<Record<ScreenId, boolean>>>({ welcome: true });

  /** Loads the environment and prefills the form. */
  async load(): Promise<void> {
    try {
      const env = await api().environment();
      this.env = env;
      this.form = initialForm(env);
    } catch (err) {
      this.loadError = errorOf(err);
    }
  }

  /** The settings document for the back end. */
  settings(): SettingsInput {
    return toSettings(this.form);
  }

  /** The migration settings file for the back end (the Migrate an existing site flow). */
  migration(): MigrationInput {
    return toMigration(this.form);
  }

  /** What the Migrate flow's detection found fills the database fields. */
  fillFromDetection(found: DetectedMigration): void {
    applyDetected(this.form, found);
  }

  /** The folders and product detection reads (it must run again when they change). */
  detectionKey(): string {
    return JSON.stringify([this.form.installDir.trim(), this.form.dataDir.trim(), this.form.product]);
  }

  /** Re-derives dependent fields after an edit. */
  changed(): void {
    deriveFields(this.form);
  }

  /** The message to show for a field, if any. */
  issue(path: string): string | undefined {
    return this.touched[path] ? this.issues[path] : undefined;
  }

  touch(path: string): void {
    this.touched[path] = true;
  }

  /** Issues on the current screen. */
  screenIssues(screen: ScreenId = this.screen): string[] {
    const fields = SCREEN_FIELDS[screen] ?? [];
    return Object.keys(this.issues).filter((p) => fields.some((f) => p === f || p.startsWith(`${f}.`)));
  }

  /** Moves on when the screen is valid; otherwise shows its issues and returns their paths. */
  next(): string[] {
    const bad = this.screenIssues();
    if (bad.length > 0) {
      for (const p of bad) this.touched[p] = true;
      return bad;
    }
    const to = this.screens[this.index + 1];
    if (to !== undefined) this.goTo(to);
    return [];
  }

  /** True when the sidebar may take the user to this screen (reached before; not the run's own screens). */
  canVisit(screen: ScreenId): boolean {
    const locked = (s: ScreenId): boolean => s === 'installing' || s === 'finished';
    return this.visited[screen] === true && screen !== this.screen && !locked(screen) && !locked(this.screen) && this.screens.includes(screen);
  }

  /**
   * The sidebar's jump: back at once; forward only over screens that are still valid, else it
   * stops at the first one with issues and shows them (as Next would).
   */
  visit(screen: ScreenId): string[] {
    if (!this.canVisit(screen)) return [];
    const target = this.screens.indexOf(screen);
    for (let i = this.index; i < target; i++) {
      const at = this.screens[i];
      if (at === undefined) break;
      const bad = this.screenIssues(at);
      if (bad.length > 0) {
        this.goTo(at);
        for (const p of bad) this.touched[p] = true;
        return bad;
      }
    }
    this.goTo(screen);
    return [];
  }

  back(): void {
    const to = this.screens[this.index - 1];
    if (to !== undefined && this.screen !== 'installing' && this.screen !== 'finished') this.screen = to;
  }

  goTo(screen: ScreenId): void {
    this.screen = screen;
    this.visited[screen] = true;
  }

  /** Pre-fills the form from an imported bundle or spc.cfg. */
  importSettings(s: SettingsInput): void {
    applySettings(this.form, s);
  }
}

/** Planning, preflight and the run, kept apart from the form. */
/** Planning gathers facts on this machine; past this bound the wizard says so instead of waiting on. */
export const PLAN_BOUND_MS = 90_000;

export class Flow {
  /** When the running plan started (the Ready screen shows the time it has taken). */
  planStarted = $state(0);
  #planGeneration = 0;
  planResult = $state<PlanResult | undefined>(undefined);
  planError = $state<ErrorInfo | undefined>(undefined);
  planning = $state(false);
  run = new Run();
  /** Detection, plan and run of the Migrate an existing site flow. */
  readonly migration: Migration = new Migration(this);
  canInstall = $derived(
    this.planResult !== undefined && 'plan' in this.planResult && this.planResult.preflight.every((c) => c.ok) && !this.planning,
  );

  constructor(readonly wizard: Wizard) {}

  /** Plans the current settings (the Ready screen). */
  async plan(): Promise<void> {
    const generation = ++this.#planGeneration;
    this.planning = true;
    this.planStarted = Date.now();
    this.planError = undefined;
    this.planResult = undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BoundError()), PLAN_BOUND_MS);
    });
    try {
      const result = await Promise.race([api().plan({ settings: this.wizard.settings() }), bound]);
      // A plan that arrives after a newer one was asked for (or after the bound) is not shown.
      if (generation === this.#planGeneration) this.planResult = result;
    } catch (err) {
      if (generation === this.#planGeneration) {
        this.planError =
          err instanceof BoundError
            ? { code: 'timeout', message: `Planning did not finish within ${PLAN_BOUND_MS / 1000} s.`, fix: 'A probe is waiting on something on this machine (a database, a port, a folder on the network); check the log, then plan again.' }
            : errorOf(err);
      }
    } finally {
      clearTimeout(timer);
      if (generation === this.#planGeneration) this.planning = false;
    }
  }

  /** Runs a streaming call, feeding its events to the progress view; on success shows Finished. */
  async stream(start: (onEvent: (e: ProgressEvent) => void) => Promise<RunResult>): Promise<void> {
    const unsubscribe = api().onEvent((e) => this.run.onEvent(e));
    try {
      this.run.finish(await start((e) => this.run.onEvent(e)));
    } catch (err) {
      this.run.fail(errorOf(err));
    } finally {
      unsubscribe();
    }
    if (this.run.outcome === 'done') this.wizard.goTo('finished');
  }

  /** Applies the plan shown on Ready. */
  async install(): Promise<void> {
    const result = this.planResult;
    if (result === undefined || !('plan' in result)) return;
    this.run.begin(result.plan);
    this.wizard.goTo('installing');
    await this.stream(() => api().apply({ planId: result.plan.id, settings: this.wizard.settings() }));
  }

  async resume(): Promise<void> {
    if (this.wizard.form.task === 'migrate') return this.migration.resume();
    this.run.continue();
    await this.stream(() => api().resume({ settings: this.wizard.settings() }));
  }

  async rollback(): Promise<void> {
    this.run.continue();
    await this.stream(() => api().rollback({ settings: this.wizard.settings() }));
  }

  async cancel(): Promise<void> {
    try {
      await api().cancel();
    } catch (err) {
      this.run.error = errorOf(err);
    }
  }
}

class BoundError extends Error {}

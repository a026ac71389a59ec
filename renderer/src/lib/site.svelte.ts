/** The Site screen's state (Svelte 5 runes): the site's status, the operation being composed, its plan and its per-node progress. */
import type { ErrorInfo } from '../../../electron/shared/errors.js';
import type { NodeOutcome, SiteOperationInput, SiteOperationPlan, SiteSettingsReport, SiteStatus } from '../../../electron/shared/site.js';
import { api, errorOf } from './api.js';
import { toSiteSettings } from './form.js';
import { siteOperationIssues, toSiteOperation, type SiteOperationForm } from './site-form.js';
import type { Wizard } from './wizard.svelte.js';

export class SiteConsole {
  status = $state<SiteStatus | undefined>(undefined);
  statusError = $state<ErrorInfo | undefined>(undefined);
  loading = $state(false);
  op = $state<SiteOperationForm>({
    kind: 'services',
    servicesAction: 'restart',
    host: '',
    port: '',
    sslMode: '',
    password: '',
    restart: true,
    folders: { root: '', apps: '', archivedLogs: '', customData: '', staticContent: '' },
    excluded: {},
    timeoutSeconds: '60',
  });
  plan = $state<SiteOperationPlan | undefined>(undefined);
  /** The request the shown plan was made for: Run needs the same one. */
  plannedFor = $state<string | undefined>(undefined);
  planError = $state<ErrorInfo | undefined>(undefined);
  planning = $state(false);
  running = $state(false);
  outcomes = $state<readonly NodeOutcome[]>([]);
  runError = $state<ErrorInfo | undefined>(undefined);
  finished = $state(false);
  settingsReport = $state<SiteSettingsReport | undefined>(undefined);
  settingsError = $state<ErrorInfo | undefined>(undefined);
  readingSettings = $state(false);

  readonly request = $derived(toSiteOperation(this.op, this.status?.nodes.map((n) => n.hostname) ?? []));
  readonly issues = $derived(siteOperationIssues(this.request));
  /** A plan runs once: to send the operation again, show its plan again. */
  readonly canRun = $derived(this.plan !== undefined && this.plannedFor === JSON.stringify(this.request) && !this.running && !this.planning && !this.finished);

  constructor(readonly wizard: Wizard) {}

  /** Reads every node's heartbeat, services and versions. */
  async refresh(): Promise<void> {
    this.loading = true;
    this.statusError = undefined;
    try {
      this.status = await api().siteStatus({ settings: toSiteSettings(this.wizard.form) });
    } catch (err) {
      this.statusError = errorOf(err);
    } finally {
      this.loading = false;
    }
  }

  /** Asks every node's agent for its connection string (password masked on the node) and folders. */
  async readSettings(): Promise<void> {
    this.readingSettings = true;
    this.settingsError = undefined;
    try {
      this.settingsReport = await api().siteSettings({ settings: toSiteSettings(this.wizard.form) });
    } catch (err) {
      this.settingsError = errorOf(err);
    } finally {
      this.readingSettings = false;
    }
  }

  /** Asks the back end for the plan of the operation; nothing is sent to a node. */
  async showPlan(): Promise<void> {
    if (this.issues.length > 0) return;
    this.planning = true;
    this.planError = undefined;
    this.plan = undefined;
    this.finished = false;
    this.outcomes = [];
    const request = this.request;
    try {
      this.plan = await api().planSiteOperation({ settings: toSiteSettings(this.wizard.form), operation: request as SiteOperationInput });
      this.plannedFor = JSON.stringify(request);
    } catch (err) {
      this.planError = errorOf(err);
    } finally {
      this.planning = false;
    }
  }

  /** Sends the operation of the shown plan and follows every node until it answered or its bound passed. */
  async run(): Promise<void> {
    const plan = this.plan;
    if (plan === undefined || !this.canRun) return;
    this.running = true;
    this.runError = undefined;
    this.finished = false;
    this.outcomes = plan.nodes.map((n) => ({ hostname: n.hostname, state: 'pending', message: '' }));
    const unsubscribe = api().onEvent((e) => {
      if (e.kind === 'site-progress') this.outcomes = e.outcomes;
    });
    const newPassword = this.op.kind === 'connection' && this.op.password !== '' ? this.op.password : undefined;
    try {
      const result = await api().runSiteOperation({ settings: toSiteSettings(this.wizard.form), operation: this.request as SiteOperationInput, planId: plan.id });
      this.outcomes = result.outcomes;
      this.finished = true;
      // The role has the new password now: the screen connects with it, and no longer shows it in the field.
      if (newPassword !== undefined) this.wizard.form.dbPassword = this.wizard.form.dbPasswordConfirm = newPassword;
      this.op.password = '';
    } catch (err) {
      this.runError = errorOf(err);
    } finally {
      unsubscribe();
      this.running = false;
    }
    await this.refresh();
  }
}

/** The Site screen's backup and restore (Svelte 5 runes): the folder, the passphrase, the plan shown first, then the run. */
import type { ErrorInfo } from '../../../electron/shared/errors.js';
import type { SiteBackupRequest } from '../../../electron/shared/ipc.js';
import { api, errorOf } from './api.js';
import { toSiteSettings } from './form.js';
import type { Wizard } from './wizard.svelte.js';

export type BackupMode = 'backup' | 'restore';

export class SiteBackupPanel {
  mode = $state<BackupMode>('backup');
  dir = $state('');
  passphrase = $state('');
  planLines = $state<readonly string[]>([]);
  /** The request the shown plan was made for: Run needs the same one. */
  plannedFor = $state<string | undefined>(undefined);
  resultLines = $state<readonly string[]>([]);
  error = $state<ErrorInfo | undefined>(undefined);
  busy = $state(false);

  readonly key = $derived(JSON.stringify([this.mode, this.dir, this.passphrase]));
  readonly issues = $derived([...(this.dir.startsWith('/') ? [] : ['Give the backup folder as an absolute path.']), ...(this.passphrase ? [] : ['Enter the backup passphrase.'])]);
  readonly canRun = $derived(this.plannedFor === this.key && !this.busy);

  constructor(readonly wizard: Wizard) {}

  private async call(action: SiteBackupRequest['action']): Promise<readonly string[] | undefined> {
    this.busy = true;
    this.error = undefined;
    try {
      return (await api().siteBackup({ settings: toSiteSettings(this.wizard.form), action, dir: this.dir, passphrase: this.passphrase })).lines;
    } catch (err) {
      this.error = errorOf(err);
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  /** The plan (what, how big, the downtime; or what a restore changes); nothing changes. */
  async showPlan(): Promise<void> {
    if (this.issues.length) return;
    this.planLines = [];
    this.resultLines = [];
    const key = this.key;
    const lines = await this.call(this.mode === 'backup' ? 'plan-backup' : 'plan-restore');
    if (lines) {
      this.planLines = lines;
      this.plannedFor = key;
    }
  }

  /** Runs the shown plan: services stopped on every node, data captured or restored, services started again. */
  async run(): Promise<void> {
    if (!this.canRun) return;
    const lines = await this.call(this.mode);
    this.plannedFor = undefined;
    if (lines) this.resultLines = lines;
  }
}

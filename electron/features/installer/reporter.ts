/**
 * What a person sees while a command runs: one line per step on stdout, a log file with
 * timestamps they can read afterwards, and a closing summary. Everything written is masked.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ErrorInfo } from '../../shared/errors.js';
import type { ProgressEvent } from '../../shared/plan.js';
import { assertNever } from '../../shared/assert-never.js';

export interface ReporterOptions {
  readonly logFiles: readonly string[];
  readonly quiet?: boolean;
  readonly secrets?: readonly string[];
  readonly out?: (line: string) => void;
}

export class Reporter {
  private readonly out: (line: string) => void;
  private foldersMade = false;

  constructor(private readonly options: ReporterOptions) {
    this.out = options.out ?? ((line) => process.stdout.write(`${line}\n`));
  }

  /** Where the log is written. */
  get logFiles(): readonly string[] {
    return this.options.logFiles;
  }

  private mask(text: string): string {
    let out = text;
    for (const s of [...(this.options.secrets ?? [])].filter((v) => v.length > 0).sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
    return out;
  }

  /** A line for the person and the log. */
  say(line: string): void {
    const text = this.mask(line);
    if (!this.options.quiet) this.out(text);
    this.log(text);
  }

  /** A line for the log only. */
  log(line: string): void {
    const stamped = `${new Date().toISOString()} ${this.mask(line)}\n`;
    // Made at the first line, not when opened: the wizard opens its log before applying a plan
    // made while the state folder did not exist yet, which would otherwise be refused as stale.
    if (!this.foldersMade) for (const file of this.options.logFiles) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.foldersMade = true;
    for (const file of this.options.logFiles) appendFileSync(file, stamped, { mode: 0o600 });
  }

  /** Renders a progress event as a line. */
  event(e: ProgressEvent): void {
    switch (e.kind) {
      case 'run-started':
        this.say(`${e.mode === 'rollback' ? 'Rolling back' : e.mode === 'resume' ? 'Resuming' : 'Applying'} ${e.total} step(s).`);
        return;
      case 'step-started':
        this.say(`[${e.index + 1}/${e.total}] ${e.title} ...`);
        return;
      case 'step-progress':
        this.log(`  ${e.stepId}: ${e.percent}%${e.detail ? ` ${e.detail}` : ''}`);
        return;
      case 'log':
        this.say(`  ${e.level === 'info' ? '' : `${e.level.toUpperCase()}: `}${e.message}`);
        return;
      case 'step-finished':
        this.say(`[${e.index + 1}/${e.total}] ${e.changed ? 'changed' : 'unchanged'}: ${e.stepId}`);
        return;
      case 'step-failed':
        this.error(e.error, `Step ${e.stepId} failed`);
        return;
      case 'run-finished':
        this.log(`run finished: ${e.outcome}`);
        return;
      case 'site-progress':
        this.log(`site operation ${e.operationId}: ${e.outcomes.map((o) => `${o.hostname} ${o.state}`).join(', ')}`);
        return;
      default:
        assertNever(e, 'progress event');
    }
  }

  /** Reports an error with what to do about it. */
  error(error: ErrorInfo, prefix = 'Error'): void {
    this.say(`${prefix}: ${error.message}`);
    if (error.fix) this.say(`  What to do: ${error.fix}`);
  }
}

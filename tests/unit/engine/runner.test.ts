import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { previewPlan } from '../../../electron/engine/plan-builder.js';
import { StepRegistry } from '../../../electron/engine/registry.js';
import { applyPlan, resumePlan, rollbackPlan } from '../../../electron/engine/runner.js';
import { defineStepKind } from '../../../electron/engine/step-kind.js';
import { readJournal } from '../../../electron/engine/journal.js';
import type { ProgressEvent } from '../../../electron/shared/plan.js';

// A step kind over real files: writes `text` (optionally with a secret appended) to `path`.
const writeStep = defineStepKind<z.ZodObject<{ path: z.ZodString; text: z.ZodString; withSecret: z.ZodOptional<z.ZodBoolean> }>, { failOn?: string | undefined; failCheck?: string | undefined }>({
  kind: 'write',
  params: z.object({ path: z.string(), text: z.string(), withSecret: z.boolean().optional() }),
  async check(p, ctx) {
    if (ctx.sys.failCheck === p.path) throw new Error(`cannot read ${p.path}`);
    const want = p.text;
    if (!existsSync(p.path)) return { action: 'create', summary: `create ${p.path}` };
    return readFileSync(p.path, 'utf8').startsWith(want) ? { action: 'noop', summary: 'same' } : { action: 'update', summary: `update ${p.path}` };
  },
  async apply(p, ctx) {
    if (ctx.sys.failOn === p.path) throw new Error(`boom with ${ctx.secret('db')}`);
    const before = existsSync(p.path) ? readFileSync(p.path, 'utf8') : undefined;
    writeFileSync(p.path, p.withSecret ? `${p.text}:${ctx.secret('db')}` : p.text);
    ctx.log(`wrote ${p.path} using ${ctx.secret('db')}`);
    return before === undefined ? { created: true } : { before };
  },
  async verify(p) {
    if (!readFileSync(p.path, 'utf8').startsWith(p.text)) throw new Error('not written');
  },
  async undo(p, _ctx, record) {
    if (record?.['created']) rmSync(p.path);
    else writeFileSync(p.path, String(record?.['before']));
  },
});

describe('runner', () => {
  let dir: string;
  let stateDir: string;
  const SECRET = 'pa$$ wörd&<>';
  const registry = new StepRegistry<{ failOn?: string | undefined; failCheck?: string | undefined }>([writeStep]);
  const draft = (paths: string[]) => ({
    title: 'test',
    secrets: ['db'],
    warnings: [],
    steps: paths.map((p, i) => ({ id: `s${i}`, kind: 'write', title: `write ${i}`, params: { path: p, text: `content-${i}`, withSecret: i === 0 } })),
  });
  const options = (sys: { failOn?: string | undefined; failCheck?: string | undefined }, events: ProgressEvent[] = []) => ({
    registry,
    sys,
    stateDir,
    secrets: (n: string) => (n === 'db' ? SECRET : undefined),
    onEvent: (e: ProgressEvent) => events.push(e),
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runner-'));
    stateDir = join(dir, 'state');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('applies every step, then reports no change on a second run', async () => {
    const files = [join(dir, 'a'), join(dir, 'b'), join(dir, 'c')];
    const ctx = { sys: {}, stateDir, signal: new AbortController().signal, secret: () => SECRET };
    const plan = await previewPlan(draft(files), { x: 1 }, registry, ctx);
    expect(plan.steps.map((s) => s.action)).toEqual(['create', 'create', 'create']);
    const first = await applyPlan(plan, options({}));
    expect(first.outcome).toBe('done');
    expect(first.changed).toEqual(['s0', 's1', 's2']);
    const again = await applyPlan(await previewPlan(draft(files), { x: 1 }, registry, ctx), options({}));
    expect(again.changed).toEqual([]);
    expect(again.unchanged).toEqual(['s0', 's1', 's2']);
  });

  it('gives a plan made again on an unchanged machine the same id, and another id when a fact changed', async () => {
    const files = [join(dir, 'a')];
    const ctx = { sys: {}, stateDir, signal: new AbortController().signal, secret: () => SECRET };
    const first = await previewPlan(draft(files), { port: 'free' }, registry, ctx);
    expect((await previewPlan(draft(files), { port: 'free' }, registry, ctx)).id).toBe(first.id);
    expect((await previewPlan(draft(files), { port: 'used' }, registry, ctx)).id).not.toBe(first.id);
    writeFileSync(files[0]!, 'content-0');
    expect((await previewPlan(draft(files), { port: 'free' }, registry, ctx)).id).not.toBe(first.id);
  });

  it('never writes a secret to the journal or to events', async () => {
    const files = [join(dir, 'a')];
    const events: ProgressEvent[] = [];
    const plan = await previewPlan(draft(files), {}, registry, { sys: {}, stateDir, signal: new AbortController().signal, secret: () => SECRET });
    await applyPlan(plan, options({}, events));
    expect(readFileSync(files[0]!, 'utf8')).toContain(SECRET); // the step really used it
    expect(readFileSync(join(stateDir, 'journal.jsonl'), 'utf8')).not.toContain(SECRET);
    expect(readFileSync(join(stateDir, 'plan.json'), 'utf8')).not.toContain(SECRET);
    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(JSON.stringify(events)).toContain('using ***');
  });

  it('stops at a failing step, masks the secret in the error, and resumes there', async () => {
    const files = [join(dir, 'a'), join(dir, 'b'), join(dir, 'c')];
    const plan = await previewPlan(draft(files), {}, registry, { sys: {}, stateDir, signal: new AbortController().signal, secret: () => SECRET });
    const failed = await applyPlan(plan, options({ failOn: files[1] }));
    expect(failed.outcome).toBe('failed');
    expect(failed.failedStep).toBe('s1');
    expect(failed.error?.message).not.toContain(SECRET);
    expect(existsSync(files[2]!)).toBe(false);
    const resumed = await resumePlan(options({}));
    expect(resumed.outcome).toBe('done');
    expect(resumed.changed).toEqual(['s0', 's1', 's2']);
    expect(readJournal(stateDir).filter((e) => e.type === 'step-started' && e.stepId === 's0')).toHaveLength(1);
  });

  it('says whether a failed run touched the machine: not when the first step fails in its check, yes once a step applied (issue 13: exit 1 only then)', async () => {
    const files = [join(dir, 'a'), join(dir, 'b')];
    const plan = await previewPlan(draft(files), {}, registry, { sys: {}, stateDir, signal: new AbortController().signal, secret: () => SECRET });
    // The first apply throws: it may have changed something.
    const inApply = await applyPlan(plan, options({ failOn: files[0] }));
    expect([inApply.outcome, inApply.touched, inApply.changed]).toEqual(['failed', true, []]);
    // Resumed while the fault is still there, its check throws before any apply: nothing touched.
    const blocked = await resumePlan(options({ failCheck: files[0] }));
    expect([blocked.outcome, blocked.touched, blocked.changed]).toEqual(['failed', false, []]);
    // Once a step changed something, a later failure touched the machine.
    const second = await resumePlan(options({ failOn: files[1] }));
    expect([second.outcome, second.touched, second.changed]).toEqual(['failed', true, ['s0']]);
    // A resume of that run carries the earlier change: still touched even when it fails in a check.
    const third = await resumePlan(options({ failCheck: files[1] }));
    expect([third.outcome, third.touched, third.changed]).toEqual(['failed', true, ['s0']]);
  });

  it('rolls back changed steps in reverse order', async () => {
    const files = [join(dir, 'a'), join(dir, 'b')];
    writeFileSync(files[1]!, 'original');
    const plan = await previewPlan(draft(files), {}, registry, { sys: {}, stateDir, signal: new AbortController().signal, secret: () => SECRET });
    await applyPlan(plan, options({}));
    const events: ProgressEvent[] = [];
    const rolled = await rollbackPlan(options({}, events));
    expect(rolled.outcome).toBe('rolled-back');
    expect(rolled.changed).toEqual(['s1', 's0']);
    expect(existsSync(files[0]!)).toBe(false);
    expect(readFileSync(files[1]!, 'utf8')).toBe('original');
  });

  it('rolls back the install after a re-run whose plan is all no-ops (issue 13), newest change first', async () => {
    const files = [join(dir, 'a'), join(dir, 'b')];
    const ctx = { sys: {}, stateDir, signal: new AbortController().signal, secret: () => SECRET };
    await applyPlan(await previewPlan(draft(files), {}, registry, ctx), options({}));
    const rerun = await previewPlan(draft(files), { rerun: true }, registry, ctx);
    expect(rerun.steps.map((s) => s.action)).toEqual(['noop', 'noop']);
    expect((await applyPlan(rerun, options({}))).changed).toEqual([]);
    // A third plan changes one file again: its undo comes first, then the install's.
    writeFileSync(files[1]!, 'edited by hand');
    expect((await applyPlan(await previewPlan(draft(files), { third: true }, registry, ctx), options({}))).changed).toEqual(['s1']);
    const events: ProgressEvent[] = [];
    const rolled = await rollbackPlan(options({}, events));
    expect(rolled.outcome).toBe('rolled-back');
    expect(rolled.changed).toEqual(['s1', 's1', 's0']);
    expect(rolled.unchanged).toEqual([]);
    expect(existsSync(files[0]!)).toBe(false);
    expect(existsSync(files[1]!)).toBe(false);
    // Nothing is left to undo: a second rollback says so and changes nothing.
    expect((await rollbackPlan(options({}))).changed).toEqual([]);
  });

  it('rolls back only the changes of one run when asked (a failed run taking back its own), leaving an earlier run\'s', async () => {
    const files = [join(dir, 'a'), join(dir, 'b'), join(dir, 'c')];
    const ctx = { sys: {}, stateDir, signal: new AbortController().signal, secret: () => SECRET };
    await applyPlan(await previewPlan(draft([files[0]!]), {}, registry, ctx), options({}));
    const failed = await applyPlan(await previewPlan(draft(files), { second: true }, registry, ctx), options({ failOn: files[2]! }));
    expect(failed.outcome).toBe('failed');
    expect(failed.changed).toEqual(['s1']);
    const rolled = await rollbackPlan(options({}), failed.runId);
    expect(rolled.changed).toEqual(['s1']);
    expect(existsSync(files[1]!)).toBe(false);
    expect(readFileSync(files[0]!, 'utf8'), 'the earlier run stays').toMatch(/^content-0/);
  });

  it('names what it cannot undo and reports it as kept (the CLI exits 1)', async () => {
    const noUndo = defineStepKind<z.ZodObject<{ path: z.ZodString }>, { failOn?: string }>({
      kind: 'touch',
      params: z.object({ path: z.string() }),
      check: async (p) => (existsSync(p.path) ? { action: 'noop', summary: 'there' } : { action: 'create', summary: 'touch' }),
      apply: async (p) => writeFileSync(p.path, ''),
      verify: async () => undefined,
    });
    const reg = new StepRegistry<{ failOn?: string | undefined; failCheck?: string | undefined }>([writeStep, noUndo]);
    const a = join(dir, 'a');
    const t = join(dir, 't');
    const d = { title: 't', secrets: ['db'], warnings: [], steps: [
      { id: 'w', kind: 'write', title: 'write a', params: { path: a, text: 'x' } },
      { id: 't', kind: 'touch', title: 'touch t', params: { path: t } },
      { id: 'u', kind: 'touch', title: 'touch inside a', params: { path: join(dir, 'u') }, undoneWith: 'w' },
    ] };
    const plan = await previewPlan(d, {}, reg, { sys: {}, stateDir, signal: new AbortController().signal, secret: () => SECRET });
    await applyPlan(plan, { ...options({}), registry: reg });
    const events: ProgressEvent[] = [];
    const rolled = await rollbackPlan({ ...options({}, events), registry: reg });
    expect(rolled.changed).toEqual(['u', 'w']);
    expect(rolled.unchanged).toEqual(['t']);
    expect(events.filter((e) => e.kind === 'log').map((e) => (e as { message: string }).message)).toEqual([
      'touch inside a: undone with "write a".',
      'Not undone: touch t: this kind of change cannot be undone automatically.',
    ]);
    expect(existsSync(t)).toBe(true);
    expect(existsSync(a)).toBe(false);
  });

  it('refuses a stale plan, naming the fact that changed, and changes nothing', async () => {
    const files = [join(dir, 'a')];
    const plan = await previewPlan(draft(files), { postgresVersion: 150000, freePorts: [4432] }, registry, { sys: {}, stateDir, signal: new AbortController().signal, secret: () => SECRET });
    await expect(applyPlan(plan, { ...options({}), gatherFacts: async () => ({ postgresVersion: 170000, freePorts: [4432] }) })).rejects.toMatchObject({
      code: 'stale-plan',
      message: expect.stringContaining('postgresVersion'),
    });
    expect(existsSync(files[0]!)).toBe(false);
    expect(existsSync(stateDir)).toBe(false);
  });

  it('stops between steps when cancelled, and resume finishes', async () => {
    const files = [join(dir, 'a'), join(dir, 'b')];
    const controller = new AbortController();
    const plan = await previewPlan(draft(files), {}, registry, { sys: {}, stateDir, signal: controller.signal, secret: () => SECRET });
    const events: ProgressEvent[] = [];
    const result = await applyPlan(plan, {
      ...options({}, events),
      signal: controller.signal,
      onEvent: (e: ProgressEvent) => {
        events.push(e);
        if (e.kind === 'step-finished') controller.abort();
      },
    });
    expect(result.outcome).toBe('cancelled');
    expect(existsSync(files[1]!)).toBe(false);
    expect((await resumePlan(options({}))).changed).toEqual(['s0', 's1']);
  });

  it('refuses to run without the secrets the plan names, before any change', async () => {
    const files = [join(dir, 'a')];
    const plan = await previewPlan(draft(files), {}, registry, { sys: {}, stateDir, signal: new AbortController().signal, secret: () => SECRET });
    await expect(applyPlan(plan, { ...options({}), secrets: () => undefined })).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringContaining('db') });
    expect(existsSync(files[0]!)).toBe(false);
  });
});

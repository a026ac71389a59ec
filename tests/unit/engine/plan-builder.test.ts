/** The plan is what each step's check says, and its id is its content. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { previewPlan, type StepDraft } from '../../../electron/engine/plan-builder.js';
import { StepRegistry } from '../../../electron/engine/registry.js';
import { defineStepKind } from '../../../electron/engine/step-kind.js';

interface Sys {
  readonly files: Map<string, string>;
}

const writeStep = defineStepKind<z.ZodObject<{ path: z.ZodString; text: z.ZodString }>, Sys>({
  kind: 'write',
  params: z.object({ path: z.string(), text: z.string() }).strict(),
  async check(p, { sys }) {
    const now = sys.files.get(p.path);
    if (now === p.text) return { action: 'noop', summary: `${p.path} is current` };
    return { action: now === undefined ? 'create' : 'update', summary: `write ${p.path}`, diff: `-${now ?? ''}\n+${p.text}`, basis: { [p.path]: now ?? 'absent' } };
  },
  async apply() {},
  async verify() {},
});

const registry = new StepRegistry<Sys>([writeStep]);
const step = (id: string, path: string, text: string): StepDraft => ({ id, kind: 'write', title: `Write ${path}`, params: { path, text } });
const plan = (files: Map<string, string>, steps: StepDraft[], facts: Record<string, unknown> = {}) =>
  previewPlan({ title: 'Test plan', steps, secrets: ['db.password'], warnings: ['a warning'] }, facts, registry, { sys: { files }, stateDir: '/nowhere', signal: new AbortController().signal, secret: () => '' });

describe('previewPlan', () => {
  it('records each check: action, summary, diff and basis; a noop has neither diff nor basis', async () => {
    const p = await plan(new Map([['/b', 'same']]), [step('a', '/a', 'new'), step('b', '/b', 'same')]);
    expect(p.steps.map((s) => [s.id, s.action, s.summary, s.diff, s.basis])).toEqual([
      ['a', 'create', 'write /a', '-\n+new', { '/a': 'absent' }],
      ['b', 'noop', '/b is current', undefined, undefined],
    ]);
    expect(p.secrets).toEqual(['db.password']);
    expect(p.warnings).toEqual(['a warning']);
  });

  it('gives the same id to the same plan made again, and another when a check or a fact differs', async () => {
    const files = new Map<string, string>();
    const steps = [step('a', '/a', 'new')];
    const first = await plan(files, steps, { port: 4432 });
    expect((await plan(files, steps, { port: 4432 })).id).toBe(first.id);
    expect((await plan(new Map([['/a', 'old']]), steps, { port: 4432 })).id).not.toBe(first.id);
    expect((await plan(files, steps, { port: 4433 })).id).not.toBe(first.id);
  });

  it('refuses a step whose params do not match its kind, before any check', async () => {
    await expect(plan(new Map(), [{ id: 'x', kind: 'write', title: 'x', params: { path: '/x' } }])).rejects.toThrow(/text/);
    await expect(plan(new Map(), [{ id: 'y', kind: 'nope', title: 'y', params: {} }])).rejects.toThrow(/nope/);
  });
});

/**
 * Apply runs the reviewed plan: every step is checked again before any change, and the whole
 * plan is refused as stale (exit 4) when a check finds other than what the plan shows.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { contentBasis } from '../../../electron/engine/basis.js';
import { previewPlan, type StepDraft } from '../../../electron/engine/plan-builder.js';
import { StepRegistry } from '../../../electron/engine/registry.js';
import { applyPlan, resumePlan } from '../../../electron/engine/runner.js';
import { defineStepKind } from '../../../electron/engine/step-kind.js';
import { ExitCode, exitCodeFor, UserError } from '../../../electron/shared/errors.js';

interface Sys {
  /** Makes the `flag` kind's check throw (a check that fails at apply but did not at planning). */
  failCheck?: boolean;
}

const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);

// Writes `text` to `path`; its check is based on the file's SHA-256.
const writeStep = defineStepKind({
  kind: 'write',
  params: z.object({ path: z.string(), text: z.string() }),
  async check(p) {
    const now = read(p.path);
    const basis = { [p.path]: contentBasis(now) };
    if (now === p.text) return { action: 'noop', summary: 'same', basis };
    return { action: now === undefined ? 'create' : 'update', summary: `write ${p.path}`, diff: `-${now ?? ''}\n+${p.text}`, basis };
  },
  async apply(p) {
    writeFileSync(p.path, p.text);
  },
  async verify() {},
});

// Creates a marker file; a check without a basis, so only its action can show a change.
const flagStep = defineStepKind<z.ZodObject<{ path: z.ZodString }>, Sys>({
  kind: 'flag',
  params: z.object({ path: z.string() }),
  async check(p, { sys }) {
    if (sys.failCheck) throw new UserError('conflict', `${p.path} is in the way.`);
    return existsSync(p.path) ? { action: 'noop', summary: 'flag set' } : { action: 'create', summary: `set ${p.path}` };
  },
  async apply(p) {
    writeFileSync(p.path, 'set');
  },
  async verify() {},
});

describe('apply refuses a plan whose checks changed since it was shown', () => {
  let dir: string;
  let stateDir: string;
  const registry = new StepRegistry<Sys>([writeStep, flagStep]);
  const ctx = (sys: Sys = {}) => ({ sys, stateDir, signal: new AbortController().signal, secret: () => '' });
  const options = (sys: Sys = {}) => ({ registry, sys, stateDir, secrets: () => undefined });
  const plan = (steps: StepDraft[]) => previewPlan({ title: 't', secrets: [], warnings: [], steps }, {}, registry, ctx());
  const write = (id: string, path: string, text: string): StepDraft => ({ id, kind: 'write', title: `Write ${id}`, params: { path, text } });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stale-'));
    stateDir = join(dir, 'state');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records the SHA-256 of the file a check read', async () => {
    const file = join(dir, 'a.conf');
    writeFileSync(file, 'old');
    const p = await plan([write('conf', file, 'new')]);
    expect(p.steps[0]!.basis).toEqual({ [file]: `sha256:${createHash('sha256').update('old').digest('hex')}` });
    expect(contentBasis(undefined)).toBe('absent');
  });

  it('refuses the whole plan when a file it would edit changed, naming the step and why, and changes nothing', async () => {
    const first = join(dir, 'first');
    const conf = join(dir, 'a.conf');
    writeFileSync(conf, 'old');
    const p = await plan([write('first', first, 'one'), write('conf', conf, 'new')]);
    writeFileSync(conf, 'edited by hand');
    const err = await applyPlan(p, options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(exitCodeFor(err)).toBe(ExitCode.stalePlan);
    expect((err as UserError).message).toContain(`step "conf" (Write conf): ${conf} changed since the plan was shown`);
    expect((err as UserError).message).not.toContain('"first"');
    expect((err as UserError).fix).toMatch(/Make the plan again/);
    // Not even the step before it ran, and no run was recorded.
    expect(existsSync(first)).toBe(false);
    expect(read(conf)).toBe('edited by hand');
    expect(existsSync(stateDir)).toBe(false);
  });

  it('says when a file appeared that was absent when the plan was made', async () => {
    const conf = join(dir, 'b.conf');
    const p = await plan([write('conf', conf, 'new')]);
    writeFileSync(conf, 'someone else');
    await expect(applyPlan(p, options())).rejects.toMatchObject({ code: 'stale-plan', message: expect.stringContaining(`${conf} appeared since the plan was shown`) });
    expect(read(conf)).toBe('someone else');
  });

  it('compares the action of a check without a basis', async () => {
    const marker = join(dir, 'marker');
    const p = await plan([{ id: 'flag', kind: 'flag', title: 'Flag', params: { path: marker } }]);
    writeFileSync(marker, 'set');
    await expect(applyPlan(p, options())).rejects.toMatchObject({ code: 'stale-plan', message: expect.stringContaining('step "flag" (Flag): it would now noop ("flag set"), the plan showed create') });
  });

  it('refuses the plan when a check now fails, with the check\'s own message', async () => {
    const p = await plan([{ id: 'flag', kind: 'flag', title: 'Flag', params: { path: join(dir, 'm') } }]);
    await expect(applyPlan(p, options({ failCheck: true }))).rejects.toMatchObject({ code: 'stale-plan', message: expect.stringContaining('its check now fails: ') });
    expect(existsSync(join(dir, 'm'))).toBe(false);
  });

  it('refuses a plan edited after review (its shown diff differs from what the check finds)', async () => {
    const conf = join(dir, 'c.conf');
    const p = await plan([write('conf', conf, 'new')]);
    const edited = { ...p, steps: p.steps.map((s) => ({ ...s, params: { ...s.params, text: 'other' } })) };
    await expect(applyPlan(edited, options())).rejects.toMatchObject({ code: 'stale-plan', message: expect.stringContaining('its change differs from the diff shown') });
    expect(existsSync(conf)).toBe(false);
  });

  it('applies an unchanged plan; resume continues after earlier steps changed the machine', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const p = await plan([write('a', a, 'x'), write('b', b, 'y')]);
    const result = await applyPlan(p, options());
    expect(result.outcome).toBe('done');
    expect([read(a), read(b)]).toEqual(['x', 'y']);
    // A resume finds the machine changed by its own earlier run: it does not compare with the plan shown.
    expect((await resumePlan(options())).outcome).toBe('done');
  });
});

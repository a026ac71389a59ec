/**
 * The windows-smb-share step kind against the fake machine: an existing share of the same folder is
 * completed (access, encryption) and never removed by undo; a share the step made is; encryption
 * is never switched off; a failed query is an actionable error.
 */
import { describe, expect, it } from 'vitest';
import type { StepContext } from '../../../../electron/engine/step-kind.js';
import { windowsSmbShareStep } from '../../../../electron/features/installer/steps/windows-smb-share.js';
import { UserError } from '../../../../electron/shared/errors.js';
import type { System } from '../../../../electron/system/system.js';
import { FakeWindows } from '../../system/windows/fake-windows.js';
import { RecordingRunner } from '../../system/windows/recording-runner.js';

const params = windowsSmbShareStep.params.parse({
  name: 'QlikShare',
  path: 'C:\\QlikShare',
  fullAccess: ['BUILTIN\\Administrators'],
  changeAccess: ['DOMAIN\\qservice'],
  encrypt: true,
});

function context(runner: FakeWindows['runner'] | RecordingRunner): StepContext<System> {
  const sys = { processes: runner } as unknown as System;
  return { sys, secret: () => '', log: () => undefined, progress: () => undefined, signal: new AbortController().signal, stateDir: 'C:\\ProgramData\\spsetup' };
}

const step = windowsSmbShareStep;

describe('windows-smb-share', () => {
  it('completes a share of the same folder (any case, trailing backslash) with the missing access and encryption, and undo leaves it', async () => {
    const machine = new FakeWindows(new Map());
    machine.shares.set('qlikshare', { path: 'c:\\qlikshare\\', encrypted: false, access: new Set(['Full\tbuiltin\\administrators']) });
    const ctx = context(machine.runner);

    expect(await step.check(params, ctx)).toEqual({ action: 'update', summary: 'Add to the share QlikShare: DOMAIN\\qservice: Change, SMB 3 encryption' });
    const record = await step.apply(params, ctx);
    expect(record).toEqual({ created: false });
    await step.verify(params, ctx);
    expect(machine.shares.get('qlikshare')).toMatchObject({ encrypted: true, access: new Set(['Full\tbuiltin\\administrators', 'Change\tdomain\\qservice']) });
    expect((await step.check(params, ctx)).action).toBe('noop');

    const before = machine.runner.calls.length;
    await step.undo!(params, ctx, record ?? undefined);
    expect(machine.runner.calls).toHaveLength(before);
    expect(machine.shares.has('qlikshare')).toBe(true);
  });

  it('removes on undo only the share it created, never the folder', async () => {
    const machine = new FakeWindows(new Map());
    const ctx = context(machine.runner);
    expect((await step.check(params, ctx)).action).toBe('create');
    const record = await step.apply(params, ctx);
    expect(record).toEqual({ created: true });
    await step.undo!(params, ctx, record ?? undefined);
    expect(machine.shares.has('qlikshare')).toBe(false);
    const last = machine.runner.calls[machine.runner.calls.length - 1]!;
    expect(last.script).toContain("Remove-SmbShare -Name 'QlikShare' -Force");
    expect(last.script).not.toMatch(/Remove-Item/);
  });

  it('leaves an encrypted share encrypted when encryption is not asked for', async () => {
    const machine = new FakeWindows(new Map());
    machine.shares.set('qlikshare', { path: 'C:\\QlikShare', encrypted: true, access: new Set(['Full\tbuiltin\\administrators', 'Change\tdomain\\qservice']) });
    const check = await step.check({ ...params, encrypt: false }, context(machine.runner));
    expect(check).toEqual({ action: 'noop', summary: 'C:\\QlikShare is shared as QlikShare with BUILTIN\\Administrators: Full, DOMAIN\\qservice: Change, encrypted' });
  });

  it('reports a query that fails (not elevated) with what to do, and a bad share name before running anything', async () => {
    const runner = new RecordingRunner(() => ({ code: 1, stderr: 'Access is denied.' }));
    const err = await step.check(params, context(runner)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe('Could not read the SMB share QlikShare: Access is denied.');
    expect((err as UserError).fix).toBe('Run spsetup elevated.');

    const quiet = new RecordingRunner();
    await expect(step.check({ ...params, name: 'Qlik;Share' }, context(quiet))).rejects.toThrow(/not a valid SMB share name/);
    expect(quiet.calls).toHaveLength(0);
  });
});

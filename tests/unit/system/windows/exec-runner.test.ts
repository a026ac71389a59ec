import { describe, expect, it } from 'vitest';
import { UserError } from '../../../../electron/shared/errors.js';
import { createWindowsRunner } from '../../../../electron/system/windows/exec-runner.js';

// The runner is plain child_process without a shell, so it runs here too (with node as the child).
describe('createWindowsRunner', () => {
  const runner = createWindowsRunner();

  it('passes stdin, returns stdout and masks secrets', async () => {
    const res = await runner.run(process.execPath, ['-e', 'process.stdin.pipe(process.stdout)'], { input: 'pw: s3cr3t;&', secrets: ['s3cr3t;&'] });
    expect(res).toEqual({ code: 0, stdout: 'pw: ***', stderr: '' });
  });

  it('throws a masked UserError on a non-zero exit unless failure is allowed', async () => {
    const args = ['-e', 'console.error("bad s3cr3t"); process.exit(4)'];
    const err = await runner.run(process.execPath, args, { secrets: ['s3cr3t'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain('exit code 4: bad ***');
    expect((await runner.run(process.execPath, args, { allowFailure: true })).code).toBe(4);
  });

  it('stops a child that outlives its timeout, and reports a missing program', async () => {
    await expect(runner.run(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 300 })).rejects.toMatchObject({ code: 'timeout' });
    await expect(runner.run('spsetup-no-such-program.exe', [])).rejects.toMatchObject({ code: 'not-found' });
  });
});

/** Issue 19 item 12: the plan shows the bootstrap commands as they run, the config file's path included. */
import { expect, it } from 'vitest';
import { bootstrapStep } from '../../../../electron/features/installer/steps/bootstrap.js';
import type { StepContext } from '../../../../electron/engine/step-kind.js';
import { createPosixSystem, type System } from '../../../../electron/system/system.js';

it('shows each bootstrap command with its full paths, quoted where a shell needs it', async () => {
  const ctx: StepContext<System> = { sys: createPosixSystem({ serviceManager: 'runit' }), secret: () => 'pw', log: () => {}, progress: () => {}, signal: new AbortController().signal, stateDir: '/nonexistent' };
  const params = bootstrapStep.params.parse({
    commands: [
      { file: '/usr/bin/node', args: ['/opt/ref/proxy.js', '--config', '/var/lib/ref/reference.json', '-bootstrap=install'] },
      { file: '/usr/bin/node', args: ['/opt/my ref/repository.js', '--config', '/var/lib/ref/reference.json', '-bootstrap=install', '-iscentral'] },
    ],
    user: 'spsvc',
    cwd: '/opt/ref',
    // Nothing listens on port 9: the node is not registered yet, so the commands are to run.
    repository: { host: '127.0.0.1', port: 9, user: 'u', database: 'QSR', password: { secret: 'database.password' } },
    registrationQuery: 'SELECT 1',
    hostname: 'node1',
    isCentral: true,
  });
  const check = await bootstrapStep.check(params, ctx);
  expect(check.summary).toBe(
    "Run /usr/bin/node /opt/ref/proxy.js --config /var/lib/ref/reference.json -bootstrap=install; /usr/bin/node '/opt/my ref/repository.js' --config /var/lib/ref/reference.json -bootstrap=install -iscentral as spsvc",
  );
});

/** Step kind: the old site's product services stopped (the database keeps running), in reverse start order. */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';

const params = z.object({ services: z.array(z.string()) });

async function running(sys: System, names: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const n of names) if ((await sys.services.status(n)) === 'running') out.push(n);
  return out;
}

/** The `migration-services-stopped` step kind; undo starts again what it stopped. */
export const servicesStoppedStep = defineStepKind<typeof params, System>({
  kind: 'migration-services-stopped',
  params,
  async check(p, { sys }) {
    const up = await running(sys, p.services);
    return up.length ? { action: 'run', summary: `Stop ${up.join(', ')}` } : { action: 'noop', summary: 'The product services are stopped' };
  },
  async apply(p, { sys, log }) {
    const stopped: string[] = [];
    for (const n of [...p.services].reverse()) {
      if ((await sys.services.status(n)) !== 'running') continue;
      await sys.services.stop(n);
      stopped.push(n);
      log(`Stopped ${n}`);
    }
    return { stopped };
  },
  async verify(p, { sys }) {
    const up = await running(sys, p.services);
    if (up.length) throw new UserError('verify-failed', `Still running: ${up.join(', ')}.`, 'Stop them, then resume.');
  },
  async undo(_p, { sys }, record) {
    const stopped = (record?.['stopped'] as string[] | undefined) ?? [];
    for (const n of [...stopped].reverse()) await sys.services.start(n);
  },
});

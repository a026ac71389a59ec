/**
 * The optional `licence` step of the central node: the guide's "apply the site licence" through
 * the repository API, where the settings give a signed licence key (licence.key). Nothing when the
 * site already holds that licence; otherwise the licence is added (or the other one replaced).
 * The key is a secret: it is read at apply time and never in the plan, the journal or a log.
 */
import { z } from 'zod';
import { UserError } from '../../shared/errors.js';
import { defineStepKind } from '../../engine/step-kind.js';
import type { System } from '../../system/system.js';
import { licenceChange, licenceNumber } from './licence.js';
import { openQrsClient, qrsStepTarget, type QrsClient } from './qrs-client.js';
import type { QrsObject } from './qrs-requests.js';

const params = qrsStepTarget.extend({
  /** The secret's name (licence.key). */
  keySecret: z.string(),
});
type Params = z.infer<typeof params>;

const open = (sys: System, p: Params) => openQrsClient(sys, p.registration, p.hostname, p.dataDir);

/** The site's licence, or undefined when it has none (an empty answer or an object without id). */
async function currentLicence(client: QrsClient): Promise<QrsObject | undefined> {
  const got = await client.call<unknown>((x) => client.requests.getLicense(x));
  const one = Array.isArray(got) ? got[0] : got;
  return typeof one === 'object' && one !== null && typeof (one as { id?: unknown }).id === 'string' && (one as { id: string }).id !== '' ? (one as QrsObject) : undefined;
}

/** The key, refused before any call when it is not a signed licence key. */
function keyOf(p: Params, secret: (name: string) => string): { key: string; number: string } {
  const key = secret(p.keySecret).trim();
  const number = licenceNumber(key);
  if (number === undefined) throw new UserError('invalid-input', 'licence.key is not a signed licence key (three base64url parts whose payload names the licence number).', 'Paste the signed licence key exactly as the vendor sent it.');
  return { key, number };
}

export const licenceStep = defineStepKind<typeof params, System>({
  kind: 'licence',
  params,
  async check(p, { sys, secret }) {
    const { key, number } = keyOf(p, secret);
    let client: QrsClient;
    try {
      client = await open(sys, p);
    } catch {
      // A new central node: its repository API runs only once its services started.
      return { action: 'create', summary: `Apply the site licence ${number} through the repository API once it runs` };
    }
    const change = licenceChange(await currentLicence(client).catch(() => undefined), key);
    if (change === 'same') return { action: 'noop', summary: `The site licence ${number} is applied` };
    return { action: change === 'add' ? 'create' : 'update', summary: `${change === 'add' ? 'Apply' : 'Replace the site licence with'} licence ${number} through the repository API` };
  },
  async apply(p, { sys, secret, log }) {
    const { key, number } = keyOf(p, secret);
    const client = await open(sys, p);
    const current = await currentLicence(client);
    const change = licenceChange(current, key);
    if (change === 'same') return { licence: 'already' };
    if (change === 'add' || !current) await client.call((x) => client.requests.addLicense(x, key));
    else await client.call((x) => client.requests.putLicense(x, { ...current, key }));
    log(`site licence ${number} ${change === 'add' ? 'applied' : 'replaced the licence before it'}`);
    return { licence: change };
  },
  async verify(p, { sys, secret }) {
    const { key, number } = keyOf(p, secret);
    if (licenceChange(await currentLicence(await open(sys, p)), key) !== 'same') throw new UserError('verify-failed', `The site does not hold licence ${number}.`, 'Check the repository service log on the central node, then resume.');
  },
});

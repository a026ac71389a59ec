/**
 * Step kind: the site CA certificate on a node, where its verify-full clients read it (the
 * connection string's Root Certificate). Copied at apply time from where the CA is kept or was
 * given, since a CA made by this same plan only exists once its step has run; or written from the
 * PEM a settings bundle carried (`pem`: a CA certificate is public).
 */
import { z } from 'zod';
import { contentBasis } from '../../../engine/basis.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import { UserError } from '../../../shared/errors.js';
import type { System } from '../../../system/system.js';
import { inspectCert } from '../../../system/tls/index.js';

const params = z.object({
  /** The file the CA is copied from: a path, or the PEM itself from a bundle. */
  source: z.union([z.string(), z.object({ pem: z.string() }).strict()]),
  target: z.string(),
  owner: z.string(),
  /** The step of this plan that makes the source (a site CA made now), for the summary. */
  madeBy: z.string().optional(),
});

type Source = z.infer<typeof params>['source'];
const sourceName = (source: Source) => (typeof source === 'string' ? source : 'the settings bundle');

async function readCa(sys: System, source: Source): Promise<string | undefined> {
  const text = typeof source === 'string' ? await sys.files.readText(source).catch(() => undefined) : source.pem;
  if (text !== undefined && !inspectCert(text)?.isCa) {
    throw new UserError('invalid-input', `${sourceName(source)} does not hold a CA certificate.`, 'Give the site CA certificate (ca.pem from the database server\'s <stateDir>/tls).');
  }
  return text;
}

/** The `ca-file` step kind. */
export const caFileStep = defineStepKind<typeof params, System>({
  kind: 'ca-file',
  params,
  async check(p, { sys }) {
    const [source, target] = await Promise.all([readCa(sys, p.source), sys.files.readText(p.target).catch(() => undefined)]);
    const basis = { ...(typeof p.source === 'string' ? { [p.source]: contentBasis(source) } : {}), [p.target]: contentBasis(target) };
    if (source === undefined) {
      if (!p.madeBy) throw new UserError('invalid-input', `The CA certificate ${sourceName(p.source)} does not exist.`, 'Copy ca.pem from the database server\'s <stateDir>/tls and give it as database.tls.caFile.');
      return { action: target === undefined ? 'create' : 'update', summary: `Copy the site CA (made by step ${p.madeBy}) to ${p.target}`, basis };
    }
    if (source === target) return { action: 'noop', summary: `The site CA is in ${p.target}`, basis };
    const info = inspectCert(source)!;
    return { action: target === undefined ? 'create' : 'update', summary: `Copy the CA ${info.subject} (${info.fingerprint.slice(0, 23)}...) from ${sourceName(p.source)} to ${p.target}`, basis };
  },
  async apply(p, { sys }) {
    const source = await readCa(sys, p.source);
    if (source === undefined) throw new UserError('not-found', `The CA certificate ${sourceName(p.source)} does not exist.`, 'Resume after the step that makes it has run.');
    await sys.files.writeAtomic(p.target, source, { mode: 0o644, owner: p.owner });
  },
  async verify(p, { sys }) {
    if ((await sys.files.readText(p.target)) !== (await readCa(sys, p.source))) throw new UserError('verify-failed', `${p.target} is not the CA certificate of ${sourceName(p.source)}.`, 'Resume to copy it again.');
  },
  async undo(p, { sys }) {
    await sys.files.remove(p.target);
  },
});

/**
 * Step kind: the database server's certificate and key in its data directory (the guide's
 * server.pem / server_key.pem), the key 0600 owned by the server's OS account. Either the
 * administrator's (or the product's exported) pair, checked before anything is written (key
 * matches, valid, names every host, key file not readable by others), or one made now and signed
 * by the site CA, renewed when it nears its end. The key never reaches the plan or the journal.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { contentBasis } from '../../../engine/basis.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import { UserError } from '../../../shared/errors.js';
import type { System } from '../../../system/system.js';
import { checkServerPair, issueServerCert, type CertInfo } from '../../../system/tls/index.js';
import { ensureSiteCa, readSiteCa, siteCaPaths } from '../site-ca.js';
import { adminServer, connectAdmin } from '../../installer/steps/pg-admin.js';

const DAY_MS = 86_400_000;

/** The SHA-256 (hex) of a certificate file's text: which one is installed, for a renewal. */
export function certFileHash(pem: string): string {
  return createHash('sha256').update(pem).digest('hex');
}

const params = z.object({
  certPath: z.string(),
  keyPath: z.string(),
  osUser: z.string(),
  names: z.array(z.string()).min(1),
  source: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('site-ca'),
      caDir: z.string(),
      siteName: z.string(),
      validDays: z.number().int().min(1).default(825),
      renewDays: z.number().int().min(0).default(30),
      /** site ssl renew: the SHA-256 of the installed certificate's file, replaced whatever its end. */
      replace: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    }),
    z.object({ kind: z.literal('provided'), certFile: z.string(), keyFile: z.string(), caFile: z.string().optional() }),
  ]),
  /**
   * The running server whose files these are: after a new pair is written it is reloaded (the
   * files are read only then) and, where it serves SSL already, the step waits until it presents
   * the new certificate. Without it a renewal with nothing else changed kept the old one served.
   */
  live: adminServer.optional(),
});
type Params = z.output<typeof params>;

const day = (d: Date) => d.toISOString().slice(0, 10);
const describe = (c: CertInfo) => `${[...c.dnsNames, ...c.ipAddresses].join(', ') || c.subject}, valid until ${day(c.notAfter)}`;

async function readRequired(sys: System, path: string, what: string): Promise<string> {
  const text = await sys.files.readText(path).catch(() => undefined);
  if (text === undefined) throw new UserError('invalid-input', `The ${what} ${path} cannot be read.`, 'Check the path in database.tls.');
  return text;
}

/** The administrator's pair, refused (before any change) when it cannot serve. */
async function providedPair(sys: System, p: Params & { source: { kind: 'provided' } }) {
  const s = p.source;
  const stat = await sys.files.stat(s.keyFile);
  if (!stat || stat.kind !== 'file') throw new UserError('invalid-input', `The server key ${s.keyFile} does not exist or is not a file.`, 'Check database.tls.keyFile.');
  if (sys.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new UserError('invalid-input', `The server key ${s.keyFile} may be read or changed by other users (mode ${(stat.mode & 0o777).toString(8).padStart(3, '0')}).`, `Restrict it to its owner first: chmod 600 ${s.keyFile}`);
  }
  const certPem = await readRequired(sys, s.certFile, 'server certificate');
  const keyPem = await readRequired(sys, s.keyFile, 'server key');
  const caPem = s.caFile !== undefined ? await readRequired(sys, s.caFile, 'CA certificate') : undefined;
  const r = await checkServerPair({ certPem, keyPem, names: p.names, ...(caPem !== undefined ? { caPem } : {}) });
  if (r.problems.length) {
    throw new UserError('invalid-input', `The server certificate ${s.certFile} cannot be used: ${r.problems.join('; ')}.`, 'Give a certificate and its own key, valid now, for every host name the nodes use (database.host and database.tls.names).');
  }
  return { certPem, keyPem, info: r.cert! };
}

/** Whether the installed pair is the wanted one (unchanged: noop). */
async function installedState(sys: System, p: Params): Promise<{ ok: boolean; info?: CertInfo; certPem?: string }> {
  const [certPem, keyPem] = await Promise.all([sys.files.readText(p.certPath).catch(() => undefined), sys.files.readText(p.keyPath).catch(() => undefined)]);
  if (certPem === undefined || keyPem === undefined) return { ok: false, ...(certPem !== undefined ? { certPem } : {}) };
  const ca = p.source.kind === 'site-ca' ? await readSiteCa(sys, p.source.caDir) : undefined;
  const r = await checkServerPair({ certPem, keyPem, names: p.names, ...(ca ? { caPem: ca.certPem } : {}) });
  const base = { certPem, ...(r.cert ? { info: r.cert } : {}) };
  if (r.problems.length || !r.cert) return { ok: false, ...base };
  if (p.source.kind === 'site-ca' && (!ca || r.cert.notAfter.getTime() - Date.now() < p.source.renewDays * DAY_MS)) return { ok: false, ...base };
  if (p.source.kind === 'site-ca' && p.source.replace !== undefined && certFileHash(certPem) === p.source.replace) return { ok: false, ...base };
  const stat = await sys.files.stat(p.keyPath);
  const user = await sys.processes.lookupUser(p.osUser);
  if (sys.platform !== 'win32' && (!stat || (stat.mode & 0o077) !== 0 || (user && stat.uid !== user.uid))) return { ok: false, ...base };
  return { ok: true, ...base };
}

/** The `server-certificate` step kind. */
export const serverCertificateStep = defineStepKind<typeof params, System>({
  kind: 'server-certificate',
  params,
  async check(p, { sys }) {
    const provided = p.source.kind === 'provided' ? await providedPair(sys, p as Params & { source: { kind: 'provided' } }) : undefined;
    const now = await installedState(sys, p);
    const basis: Record<string, string> = { [p.certPath]: contentBasis(now.certPem) };
    if (p.source.kind === 'site-ca') basis[siteCaPaths(p.source.caDir).cert] = contentBasis(await sys.files.readText(siteCaPaths(p.source.caDir).cert).catch(() => undefined));
    const where = `${p.certPath}, key ${p.keyPath} (0600, ${p.osUser})`;
    if (provided) {
      if (now.ok && now.certPem === provided.certPem) return { action: 'noop', summary: `The server certificate is installed (${describe(provided.info)})`, basis };
      return { action: now.certPem === undefined ? 'create' : 'update', summary: `Install the given server certificate (${describe(provided.info)}) as ${where}`, basis };
    }
    const s = p.source as Params['source'] & { kind: 'site-ca' };
    if (now.ok && now.info) return { action: 'noop', summary: `The server certificate is in place (${describe(now.info)})`, basis };
    const why = s.replace !== undefined && now.certPem !== undefined && certFileHash(now.certPem) === s.replace ? ' (renewal asked for)' : now.info ? (now.info.notAfter.getTime() - Date.now() < s.renewDays * DAY_MS ? ` (the installed one ends ${day(now.info.notAfter)})` : ' (the installed one does not fit)') : '';
    return {
      action: now.certPem === undefined ? 'create' : 'update',
      summary: `Make a server certificate for ${p.names.join(', ')}, valid ${s.validDays} days, signed by the site CA ${siteCaPaths(s.caDir).cert}${basis[siteCaPaths(s.caDir).cert] === 'absent' ? ' (made now)' : ''}${why}, as ${where}`,
      basis,
    };
  },
  async apply(p, ctx) {
    const { sys } = ctx;
    const pair = p.source.kind === 'provided' ? await providedPair(sys, p as Params & { source: { kind: 'provided' } }) : await issue(ctx, p);
    const backups: Record<string, string> = {};
    for (const path of [p.certPath, p.keyPath]) {
      const b = await sys.files.backup(path, `${ctx.stateDir}/backups`);
      if (b) backups[path] = b;
    }
    // The key first: the certificate never names a key that is not there yet.
    await sys.files.writeAtomic(p.keyPath, pair.keyPem, { mode: 0o600, owner: p.osUser });
    await sys.files.writeAtomic(p.certPath, pair.certPem, { mode: 0o644, owner: p.osUser });
    const record = { backups, ...('createdCa' in pair && pair.createdCa ? { createdCa: true } : {}) };
    if (p.live) {
      try {
        await reloadAndWait(p, ctx, pair.certPem);
      } catch (err) {
        await putBackPair(p, sys, backups);
        await reloadServer(p, ctx).catch(() => undefined);
        throw err;
      }
    }
    return record;
  },
  async verify(p, { sys }) {
    const now = await installedState(sys, p);
    if (!now.ok) throw new UserError('verify-failed', `The server certificate ${p.certPath} or its key ${p.keyPath} is not the one planned, or the key is not 0600 owned by ${p.osUser}.`, 'Resume to write them again.');
  },
  async undo(p, ctx, record) {
    const { sys } = ctx;
    await putBackPair(p, sys, (record?.['backups'] ?? {}) as Record<string, string>);
    // The old pair served again (a server without SSL ignores the reload; one that is down reads the files when it starts).
    if (p.live) await reloadServer(p, ctx).catch((err: unknown) => ctx.log(`Could not reload the server after putting the old certificate back: ${err instanceof Error ? err.message : String(err)}`, 'warn'));
    // A CA this step made goes with it (it signed nothing else).
    if (record?.['createdCa'] === true && p.source.kind === 'site-ca') {
      const paths = siteCaPaths(p.source.caDir);
      await sys.files.remove(paths.key);
      await sys.files.remove(paths.cert);
      await sys.files.removeEmptyDir(p.source.caDir);
    }
  },
});

async function issue(ctx: StepContext<System>, p: Params) {
  const s = p.source as Params['source'] & { kind: 'site-ca' };
  const { ca, created } = await ensureSiteCa(ctx.sys, s.caDir, s.siteName);
  if (created) ctx.log(`Made the site CA ${siteCaPaths(s.caDir).cert} (give it to verify-full clients; its key stays in ${s.caDir}).`);
  const pair = await issueServerCert({ ca, names: p.names, validDays: s.validDays });
  return { ...pair, createdCa: created };
}

async function putBackPair(p: Params, sys: System, backups: Record<string, string>): Promise<void> {
  for (const path of [p.certPath, p.keyPath]) {
    const b = backups[path];
    const text = b ? await sys.files.readText(b) : undefined;
    if (text !== undefined) await sys.files.writeAtomic(path, text);
    else await sys.files.remove(path);
  }
}

async function reloadServer(p: Params, ctx: Pick<StepContext<System>, 'sys' | 'secret'>): Promise<void> {
  const conn = await connectAdmin(p.live!, ctx);
  try {
    await conn.query('SELECT pg_reload_conf()');
  } finally {
    await conn.close();
  }
}

/** Reloads, then (bounded) waits until a server that serves SSL presents the new certificate. */
async function reloadAndWait(p: Params, ctx: StepContext<System>, certPem: string, timeoutMs = 15_000): Promise<void> {
  const before = await ctx.sys.postgres.serverCertificate(p.live!.host, p.live!.port, 5000).catch(() => undefined);
  await reloadServer(p, ctx);
  // SSL not on yet (the settings step turns it on and reloads): nothing is served to compare.
  if (!before) return;
  const wanted = new X509Certificate(certPem).fingerprint256;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await ctx.sys.postgres.serverCertificate(p.live!.host, p.live!.port, 5000).catch(() => undefined);
    if (now?.fingerprint256 === wanted) return;
    if (Date.now() > deadline) throw new UserError('verify-failed', `The new certificate ${p.certPath} is written, but after a reload the server still presents ${now ? `the one ending ${day(now.notAfter)}` : 'no certificate'}. It was put back.`, 'Check the server log (a key or file the server cannot read), then run again.');
    await new Promise((r) => setTimeout(r, 200));
  }
}

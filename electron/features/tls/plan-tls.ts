/**
 * The TLS parts of a plan (pure): the server's certificate step and SSL settings, the pg_hba
 * rules that keep the repository role on SSL, and where a node keeps the CA it verifies with.
 */
import type { StepDraft } from '../../engine/plan-builder.js';
import type { Settings } from '../../shared/settings.js';
import { caFileStep } from './steps/ca-file.js';
import { serverCertificateStep } from './steps/server-certificate.js';
import type { adminServer } from '../installer/steps/pg-admin.js';
import type { z } from 'zod';

type AdminServerInput = z.input<typeof adminServer>;

/** The guide's file names, relative to the data directory as postgresql.conf takes them. */
export const SERVER_CERT_FILE = 'server.pem';
export const SERVER_KEY_FILE = 'server_key.pem';

/** postgresql.conf for SSL: the guide's ssl, ssl_cert_file, ssl_key_file, and a TLS 1.2 minimum. */
export function serverSslSettings(): Record<string, string> {
  return { ssl: 'on', ssl_cert_file: SERVER_CERT_FILE, ssl_key_file: SERVER_KEY_FILE, ssl_min_protocol_version: 'TLSv1.2' };
}

/** The host names and addresses the server certificate must carry: what the nodes connect to. */
export function serverCertNames(settings: Settings, extra: readonly string[] = []): string[] {
  const names = [settings.database.host, ...extra, ...(settings.database.tls?.names ?? [])];
  return [...new Map(names.map((n) => [n.toLowerCase(), n])).values()];
}

/** The certificate step of a server whose data directory is `dataDir`, run as `osUser`. */
export function serverCertificateDraft(input: { settings: Settings; dataDir: string; osUser: string; stateDir: string; names: readonly string[]; undoneWith?: string; replace?: string; live?: AdminServerInput }): StepDraft {
  const tls = input.settings.database.tls;
  const source =
    tls?.certFile !== undefined && tls.keyFile !== undefined
      ? { kind: 'provided' as const, certFile: tls.certFile, keyFile: tls.keyFile, ...(tls.caFile !== undefined ? { caFile: tls.caFile } : {}) }
      : { kind: 'site-ca' as const, caDir: siteCaDir(input.stateDir), siteName: input.settings.cluster.id ?? input.settings.hostname, ...(input.replace !== undefined ? { replace: input.replace } : {}) };
  const title = source.kind === 'provided' ? 'Database server certificate (the one given, checked)' : 'Database server certificate (signed by the site CA)';
  return serverCertificateStep.draft(
    'database-certificate',
    title,
    { certPath: `${input.dataDir}/${SERVER_CERT_FILE}`, keyPath: `${input.dataDir}/${SERVER_KEY_FILE}`, osUser: input.osUser, names: [...input.names], source, ...(input.live ? { live: input.live } : {}) },
    { undoneWith: input.undoneWith },
  );
}

/** Where the site CA is kept on the machine that makes the server certificate. */
export function siteCaDir(stateDir: string): string {
  return `${stateDir}/tls`;
}

/** Where a node keeps the CA its verify-full connections trust. */
export function nodeCaPath(dataDir: string): string {
  return `${dataDir}/database-ca.pem`;
}

/**
 * The node's CA file step for verify-full: copied from database.tls.caFile, written from
 * database.tls.ca (a bundle's), or copied from the site CA this node's own plan makes (a local
 * database). Undefined when the node does not verify.
 */
export function nodeCaDraft(input: { settings: Settings; dataDir: string; stateDir: string; owner: string; localCa: boolean }): StepDraft | undefined {
  const db = input.settings.database;
  if (db.ssl !== 'verify-full') return undefined;
  const given = db.tls?.caFile ?? (db.tls?.ca !== undefined ? { pem: db.tls.ca } : undefined);
  const provided = db.tls?.certFile !== undefined;
  const source = given ?? `${siteCaDir(input.stateDir)}/ca.pem`;
  const madeBy = given === undefined && input.localCa && !provided ? 'database-certificate' : undefined;
  return caFileStep.draft('database-ca', 'The CA the repository connection verifies the server with', { source, target: nodeCaPath(input.dataDir), owner: input.owner, ...(madeBy ? { madeBy } : {}) });
}

/**
 * pg_hba for SSL: hostssl for the site's ranges, and hostnossl ... reject for the repository role
 * from everywhere, so no plain host rule (ours before, or one by hand further down) lets it in
 * unencrypted: the guide's "remove any other host lines", without deleting lines by hand.
 */
export function sslHbaRules(db: { name: string; user: string; authMethod?: string }, ranges: readonly string[]): { type: 'hostssl' | 'hostnossl'; database: string; user: string; address: string; method: string; keywords?: 'database'[] }[] {
  return [
    ...ranges.map((address) => ({ type: 'hostssl' as const, database: db.name, user: db.user, address, method: db.authMethod ?? 'scram-sha-256' })),
    { type: 'hostnossl' as const, database: 'all', user: db.user, address: '0.0.0.0/0', method: 'reject', keywords: ['database' as const] },
    { type: 'hostnossl' as const, database: 'all', user: db.user, address: '::/0', method: 'reject', keywords: ['database' as const] },
  ];
}

/**
 * The CA spsetup's own verify-full connections trust: this node's copy once installed, the given
 * database.tls.caFile or ca (from a bundle) before (`beforeInstall`). Empty for require and disable.
 */
export function repositoryCa(settings: Settings, dataDir: string, beforeInstall = false): { caFile?: string; ca?: string } {
  const db = settings.database;
  if (db.ssl !== 'verify-full') return {};
  if (beforeInstall && db.tls?.ca !== undefined) return { ca: db.tls.ca };
  const given = db.tls?.caFile;
  return { caFile: beforeInstall && given !== undefined ? given : nodeCaPath(dataDir) };
}

/**
 * The repository service's API endpoints on a node: on the central node the HTTPS repository API
 * and the certificate distribution; on a rim node the 127.0.0.1 certificate set-up. They use
 * their own small connection pool, apart from the service's heartbeat connection.
 */
import pg from 'pg';
import type { Server } from 'node:http';
import { clientConfig } from './db.js';
import { referenceApiPorts } from '../config.js';
import { certificatesInstalled, createSiteCa, issueNodeCertificate, readCertificateSet, writeCertificateSet } from './certificates.js';
import { startCertificateSetup, startDistribution } from './certificate-distribution.js';
import type { ProgramContext } from './program.js';
import { startQrsApi } from './qrs-api.js';
import { centralHost } from './qrs-store.js';

/** Makes the site CA and the central node's certificate unless they are installed; true when made. */
export async function ensureCentralCertificates(dataDir: string, hostname: string): Promise<boolean> {
  if (certificatesInstalled(dataDir) && (await readCertificateSet(dataDir)).rootKeyPem !== undefined) return false;
  const ca = await createSiteCa(hostname);
  const node = await issueNodeCertificate(ca, hostname);
  await writeCertificateSet(dataDir, { ...node, rootKeyPem: ca.rootKeyPem });
  return true;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Starts this node's endpoints; they stop with the program. */
export async function startRepositoryApi(ctx: ProgramContext, isCentral: boolean): Promise<void> {
  const ports = referenceApiPorts(ctx.config);
  const host = ctx.config.listenAddress ?? '0.0.0.0';
  const db = new pg.Pool({ ...clientConfig(ctx.connection), application_name: 'reference-repository-api', max: 3, connectionTimeoutMillis: 10_000 });
  db.on('error', (err) => ctx.log.warn(`Repository API database connection lost: ${err.message}`));
  const servers: Server[] = [];
  ctx.onStop(async () => {
    for (const s of servers) await close(s);
    await db.end().catch(() => {});
  });
  const log = (line: string) => ctx.log.info(line);
  if (isCentral) {
    if (await ensureCentralCertificates(ctx.config.dataDir, ctx.config.hostname)) ctx.log.info('Site certificate authority and the central node certificate created');
    const certificates = await readCertificateSet(ctx.config.dataDir);
    servers.push(await startQrsApi({ port: ports.qrs, host, certificates, db, log }));
    ctx.log.info(`Repository API listening on ${host}:${ports.qrs} (HTTPS, client certificates of the site)`);
    servers.push(await startDistribution({ port: ports.distribution, host, db, log }));
    ctx.log.info(`Certificate distribution listening on ${host}:${ports.distribution}`);
  } else {
    servers.push(
      await startCertificateSetup({ port: ports.certificateSetup, hostname: ctx.config.hostname, dataDir: ctx.config.dataDir, distributionPort: ports.distribution, central: () => centralHost(db), log }),
    );
    ctx.log.info(`Certificate set-up listening on 127.0.0.1:${ports.certificateSetup}${certificatesInstalled(ctx.config.dataDir) ? '' : ' (this node is not registered yet)'}`);
  }
}

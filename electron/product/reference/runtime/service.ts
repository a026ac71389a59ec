/**
 * What the simple reference services share: listening on their port with /status, the readiness
 * line, and the bootstrap marker that proxy and scheduler write with `-bootstrap=install`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReferenceServiceId } from '../config.js';
import { certificatesInstalled } from './certificates.js';
import { UsageError } from './args.js';
import { EXIT, readyLine, runProgram, type ProgramContext } from './program.js';
import { startStatusServer, stopStatusServer } from './status-server.js';

/** Listens on the service's port, logs its readiness line, and closes on stop. */
export async function serveStatus(ctx: ProgramContext, status: () => Readonly<Record<string, unknown>> = () => ({})): Promise<void> {
  const port = ctx.config.ports[ctx.id];
  const host = ctx.config.listenAddress ?? '0.0.0.0';
  const startedAt = new Date().toISOString();
  const server = await startStatusServer(port, host, () => ({
    service: ctx.id,
    hostname: ctx.config.hostname,
    state: ctx.stopping() ? 'stopping' : 'running',
    startedAt,
    pid: process.pid,
    // Until the node's certificates are installed its services are not part of the site.
    registered: certificatesInstalled(ctx.config.dataDir),
    ...status(),
  }));
  ctx.onStop(async () => {
    await stopStatusServer(server);
    ctx.log.info(`${ctx.id} service stopped`);
  });
  ctx.log.info(`Listening on ${host}:${port}`);
  ctx.log.info(readyLine(ctx.id));
}

/** Where a service's bootstrap marker lives. */
export function bootstrapMarkerPath(dataDir: string, id: ReferenceServiceId): string {
  return join(dataDir, 'bootstrap', `${id}.json`);
}

/** Writes the bootstrap marker (a stand-in for the real product's certificates) unless present. */
export async function writeBootstrapMarker(ctx: ProgramContext): Promise<number> {
  const file = bootstrapMarkerPath(ctx.config.dataDir, ctx.id);
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined) {
    ctx.log.info(`Bootstrap already done (${file}); nothing to change`);
    return EXIT.ok;
  }
  await mkdir(join(ctx.config.dataDir, 'bootstrap'), { recursive: true, mode: 0o700 });
  const marker = {
    service: ctx.id,
    hostname: ctx.config.hostname,
    bootstrappedAt: new Date().toISOString(),
    certificateThumbprint: randomBytes(20).toString('hex'),
  };
  await writeFile(file, `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  ctx.log.info(`Bootstrap done: wrote ${file}`);
  return EXIT.ok;
}

/** Runs a service that only listens; `-bootstrap=install` writes a marker when the service has one. */
export function runSimpleService(id: ReferenceServiceId, options: { readonly bootstrapMarker: boolean }): void {
  runProgram(id, async (ctx) => {
    if (ctx.args.bootstrap !== undefined) {
      if (!options.bootstrapMarker || ctx.args.bootstrap !== 'install' || ctx.args.isCentral) {
        throw new UsageError(`${id} supports no such bootstrap mode`);
      }
      return writeBootstrapMarker(ctx);
    }
    await serveStatus(ctx);
    return 'serve';
  });
}

/**
 * The reference product's repository service.
 * - `-bootstrap[=install] [-iscentral]`: creates the schema if missing and registers this node
 *   (central or rim); a second central node is refused (exit 3). Idempotent; exits 0.
 * - as a service: checks the node is registered, starts its API endpoints (central: the HTTPS
 *   repository API and the certificate distribution; rim: the certificate set-up), listens with /status, logs its readiness line,
 *   heartbeats (nodes.last_seen), and exits 1 once the database stays unreachable for the
 *   configured time (the guide's known issue; the service manager restarts it).
 */
import type pg from 'pg';
import { DEFAULT_DATABASE_UNREACHABLE_TIMEOUT_MS, DEFAULT_HEARTBEAT_INTERVAL_MS } from '../config.js';
import { connectClient, connectWithRetry, describeDbError } from '../runtime/db.js';
import { EXIT, runProgram, type ProgramContext } from '../runtime/program.js';
import { bootstrapRepository, readNode, touchNode } from '../runtime/schema.js';
import { serveStatus } from '../runtime/service.js';
import { ensureCentralNode, seedCentral } from '../runtime/qrs-store.js';
import { ensureCentralCertificates, startRepositoryApi } from '../runtime/repository-api.js';
import { startContentWriter } from '../runtime/content-writer.js';

const APP = 'reference-repository';

async function bootstrap(ctx: ProgramContext): Promise<number> {
  const { hostname } = ctx.config;
  const role = ctx.args.isCentral ? 'central' : 'rim';
  ctx.log.info(`Bootstrap (${ctx.args.bootstrap}) of ${hostname} as ${role} node: database ${ctx.connection.database} on ${ctx.connection.host}:${ctx.connection.port}`);
  const client = await connectClient(ctx.connection, APP, 10_000);
  try {
    const result = await bootstrapRepository(client, hostname, ctx.args.isCentral);
    if (result.schemaCreated) ctx.log.info('Repository schema created');
    const as = result.isCentral ? 'central' : 'rim';
    const what = { registered: `Node ${hostname} registered as ${as} node`, promoted: `Node ${hostname} is now the central node`, unchanged: `Node ${hostname} already registered as ${as} node; nothing to change` };
    ctx.log.info(what[result.action]);
    if (result.isCentral) {
      // The central node is the site's certificate authority and holds the repository API's objects.
      if (await ensureCentralCertificates(ctx.config.dataDir, hostname)) ctx.log.info('Site certificate authority and the central node certificate created');
      await ensureCentralNode(client, hostname);
      const seeded = await seedCentral(client, ctx.config.dataDir);
      if (seeded > 0) ctx.log.info(`Repository objects of a new site created (${seeded})`);
    }
    return EXIT.ok;
  } finally {
    await client.end().catch(() => {});
  }
}

async function serve(ctx: ProgramContext): Promise<'serve'> {
  const { hostname, share } = ctx.config;
  const heartbeatMs = ctx.config.repository?.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const unreachableMs = ctx.config.repository?.databaseUnreachableTimeoutMs ?? DEFAULT_DATABASE_UNREACHABLE_TIMEOUT_MS;
  ctx.log.info(`Shared persistence: root ${share.root}, apps ${share.apps}`);

  let client: pg.Client | undefined;
  const dropClient = () => {
    const c = client;
    client = undefined;
    void c?.end().catch(() => {});
  };
  const onClientError = (err: Error) => {
    ctx.log.warn(`Repository database connection lost: ${describeDbError(err)}`);
    dropClient();
  };
  client = await connectWithRetry(ctx.connection, APP, {
    totalMs: unreachableMs,
    retryMs: Math.min(heartbeatMs, 2000),
    onRetry: (err) => ctx.log.warn(`Repository database unreachable, retrying: ${describeDbError(err)}`),
    stopped: ctx.stopping,
    onError: onClientError,
  });
  const node = await readNode(client, hostname);
  if (node === undefined) {
    dropClient();
    return ctx.shutdown(EXIT.failed, `Node ${hostname} is not registered in the repository database; run the repository bootstrap first`);
  }
  await touchNode(client, hostname);
  await startRepositoryApi(ctx, node.is_central);
  let lastHeartbeat = new Date();
  let unreachableSince: number | undefined;
  let timer: NodeJS.Timeout | undefined;

  const beat = async (): Promise<void> => {
    try {
      client ??= await connectClient(ctx.connection, APP, Math.max(1000, Math.min(heartbeatMs, 5000)), onClientError);
      if (!(await touchNode(client, hostname))) ctx.log.warn(`Node ${hostname} is no longer registered in the repository database`);
      lastHeartbeat = new Date();
      if (unreachableSince !== undefined) ctx.log.info('Repository database reachable again');
      unreachableSince = undefined;
    } catch (err) {
      dropClient();
      const now = Date.now();
      if (unreachableSince === undefined) {
        unreachableSince = now;
        ctx.log.warn(`Repository database unreachable: ${describeDbError(err)}`);
      }
      if (now - unreachableSince >= unreachableMs) {
        await ctx.shutdown(
          EXIT.failed,
          `The repository database stayed unreachable for ${Math.round((now - unreachableSince) / 1000)} s; the repository service is stopping (the service manager restarts it)`,
        );
      }
    }
  };
  const schedule = () => {
    if (ctx.stopping()) return;
    timer = setTimeout(() => void beat().then(schedule), heartbeatMs);
  };
  ctx.onStop(() => {
    if (timer) clearTimeout(timer);
    dropClient();
  });
  await serveStatus(ctx, () => ({
    central: node.is_central,
    lastHeartbeat: lastHeartbeat.toISOString(),
    database: unreachableSince === undefined ? 'connected' : 'unreachable',
  }));
  schedule();
  const writerMs = ctx.config.repository?.contentWriterMs;
  // Registered last, so it stops first (cleanups run newest first): the pair in progress is finished.
  if (writerMs !== undefined) ctx.onStop(startContentWriter(ctx, writerMs));
  return 'serve';
}

runProgram('repository', (ctx) => (ctx.args.bootstrap === undefined ? serve(ctx) : bootstrap(ctx)));

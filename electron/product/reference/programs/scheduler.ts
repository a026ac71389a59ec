/**
 * The reference product's scheduler: the master role runs only on the central node (read from the
 * repository database's nodes table); elsewhere it is a worker. `-bootstrap=install` writes its
 * bootstrap marker.
 */
import { DEFAULT_DATABASE_UNREACHABLE_TIMEOUT_MS } from '../config.js';
import { UsageError } from '../runtime/args.js';
import { connectWithRetry, describeDbError } from '../runtime/db.js';
import { runProgram } from '../runtime/program.js';
import { readNode } from '../runtime/schema.js';
import { serveStatus, writeBootstrapMarker } from '../runtime/service.js';

runProgram('scheduler', async (ctx) => {
  if (ctx.args.bootstrap !== undefined) {
    if (ctx.args.bootstrap !== 'install' || ctx.args.isCentral) throw new UsageError('the scheduler supports only -bootstrap=install');
    return writeBootstrapMarker(ctx);
  }
  const client = await connectWithRetry(ctx.connection, 'reference-scheduler', {
    totalMs: ctx.config.repository?.databaseUnreachableTimeoutMs ?? DEFAULT_DATABASE_UNREACHABLE_TIMEOUT_MS,
    retryMs: 1000,
    onRetry: (err) => ctx.log.warn(`Repository database unreachable, retrying: ${describeDbError(err)}`),
    stopped: ctx.stopping,
  });
  let role: 'master' | 'worker';
  try {
    const node = await readNode(client, ctx.config.hostname);
    if (node === undefined) ctx.log.warn(`Node ${ctx.config.hostname} is not registered in the repository database; running as worker`);
    role = node?.is_central === true ? 'master' : 'worker';
  } finally {
    await client.end().catch(() => {});
  }
  ctx.log.info(`Scheduler role: ${role}`);
  await serveStatus(ctx, () => ({ role }));
  return 'serve';
});

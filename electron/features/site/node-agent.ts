/**
 * The node agent (`spsetup node-agent`): a service on every node that opens no port. It connects
 * to the repository database with the node's own connection string, migrates spsetup's schema,
 * heartbeats with its services' states, and carries out the signed operations addressed to its
 * node, woken by NOTIFY and polling as the fallback. Each operation is journaled on the node and
 * run at most once: one that arrives after its deadline is reported `expired`, never started.
 */
import { parseConnectionString, toClientConfig } from '../../shared/connection-string.js';
import { toErrorInfo } from '../../shared/errors.js';
import type { System } from '../../system/system.js';
import type { PgConnection, PgConnectOptions } from '../../system/postgres/index.js';
import type { AgentConfig } from './agent-config.js';
import { NODE_AGENT_READY_LINE } from './agent-config.js';
import { OperationJournal } from './operation-journal.js';
import { operationPayloadSchema, type OperationPayload } from './operations.js';
import { followPrimary } from './primary-follow.js';
import { runOperation, serviceStates, startServices, stopServices } from './run-operation.js';
import { migrateSiteSchema, SITE_CHANNEL } from './schema.js';
import { parseSiteKey, verifyPayload } from './site-key.js';
import { pendingOperations, writeHeartbeat, writeResult, type OperationRow } from './site-store.js';
import { getManifest } from '../../product/index.js';
import { readNodeCertificates } from '../registration/node-certificates.js';

export interface AgentDeps {
  readonly sys: System;
  readonly spsetupVersion: string;
  readonly log: (line: string) => void;
  readonly signal: AbortSignal;
  /** Writes the changed configuration back (the folders operation). */
  readonly saveConfig: (config: AgentConfig) => Promise<void>;
}

// Each wait removes its abort listener when it ends: the agent waits every few seconds for months.
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** Connection options from the node's protected connection string. */
async function connectionOptions(sys: System, config: AgentConfig): Promise<PgConnectOptions> {
  const text = await sys.secretStore.get(config.connectionStringFile);
  if (text === undefined) throw new Error(`the connection string ${config.connectionStringFile} is missing`);
  const f = parseConnectionString(text);
  const c = toClientConfig(f);
  const verify = f.sslMode === 'VerifyFull' || f.sslMode === 'VerifyCA';
  const ssl = c.ssl === false ? 'disable' : verify ? 'verify-full' : 'require';
  return { host: c.host, port: c.port, user: c.user, password: c.password, database: c.database, ssl, ...(verify && f.rootCertificate ? { caFile: f.rootCertificate } : {}), timeoutMs: 10_000 };
}

/** How often (in heartbeats) a connected agent asks the other endpoints which one is primary. */
const FOLLOW_EVERY_BEATS = 5;

/** Runs until the signal aborts; reconnects after any database failure. */
export async function runNodeAgent(initial: AgentConfig, deps: AgentDeps): Promise<void> {
  let config = initial;
  const { sys, log, signal } = deps;
  const journal = new OperationJournal(sys.files, `${config.stateDir}/site`);
  const startedAt = new Date();
  let announced = false;
  let backoff = 500;
  const followState = { fenced: false };
  const follow = () => {
    const ctx = { sys, config, log };
    return followPrimary(sys, config, followState, {
      log,
      stopServices: async () => void (await stopServices(ctx)),
      restartServices: async () => {
        await stopServices(ctx);
        await startServices(ctx);
      },
    });
  };
  while (!signal.aborted) {
    let conn: PgConnection | undefined;
    let wake: () => void = () => undefined;
    let listener: Awaited<ReturnType<System['postgres']['listen']>> | undefined;
    try {
      // With standbys among the endpoints: only ever the current primary (see primary-follow.ts).
      const target = await follow();
      if (target.kind === 'none') throw new Error(target.message);
      const opts = await connectionOptions(sys, config);
      conn = await sys.postgres.connect(opts);
      await migrateSiteSchema(conn);
      listener = await sys.postgres.listen(opts, SITE_CHANNEL, () => wake());
      const endpoint = `${opts.host}:${opts.port}`;
      const heartbeat = async () =>
        writeHeartbeat(conn!, {
          hostname: config.hostname,
          isCentral: config.isCentral,
          spsetupVersion: deps.spsetupVersion,
          product: config.product,
          productVersion: config.productVersion,
          endpoint,
          endpoints: config.endpoints.map((e) => `${e.host}:${e.port}`),
          services: await serviceStates(sys, config),
          heartbeatMs: config.heartbeatMs,
          agentStartedAt: startedAt,
          ...(await registrationState(sys, config)),
        });
      await heartbeat();
      if (!announced) log(`${NODE_AGENT_READY_LINE}: ${config.hostname} through ${endpoint}`);
      announced = true;
      backoff = 500;
      let lastBeat = Date.now();
      let beats = 0;
      const lost = listener.ended.then(() => 'lost' as const);
      for (;;) {
        if (signal.aborted) break;
        // An operation may take longer than a heartbeat interval (a restart waits for readiness): keep beating meanwhile.
        const beating = setInterval(() => void heartbeat().catch(() => undefined), config.heartbeatMs);
        let outcome: PassOutcome;
        try {
          outcome = await processPending(conn, config, deps, journal);
        } finally {
          clearInterval(beating);
        }
        if (outcome.config) config = outcome.config;
        if (outcome.reconnect) break;
        if (Date.now() - lastBeat >= config.heartbeatMs) {
          // Every few heartbeats, ask the other endpoints whether a primary on a higher timeline took over.
          if (config.endpoints.length && ++beats % FOLLOW_EVERY_BEATS === 0) {
            const target = await follow();
            if (target.kind === 'none' || target.moved) break;
          }
          await heartbeat();
          lastBeat = Date.now();
        }
        const woken = new Promise<'wake'>((resolve) => (wake = () => resolve('wake')));
        const until = Math.max(50, Math.min(config.pollMs, config.heartbeatMs - (Date.now() - lastBeat)));
        if ((await Promise.race([woken, lost, sleep(until, signal).then(() => 'tick' as const)])) === 'lost') throw new Error('the LISTEN connection was lost');
      }
    } catch (err) {
      log(`database: ${toErrorInfo(err).message} (retrying in ${backoff} ms)`);
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, 10_000);
    } finally {
      await listener?.close();
      await conn?.close();
    }
  }
}

/** Whether this node's certificates from the central node are installed (nothing when the product has no registration). */
async function registrationState(sys: System, config: AgentConfig): Promise<{ registered?: boolean }> {
  const spec = getManifest(config.product).registration;
  if (!spec) return {};
  return { registered: (await readNodeCertificates(sys.files, sys.platform, config.productConfig.dataDir, spec)).installed };
}

interface PassOutcome {
  readonly reconnect?: boolean;
  readonly config?: AgentConfig;
}

/** Verifies, runs or reports each pending operation once. */
async function processPending(conn: PgConnection, config: AgentConfig, deps: AgentDeps, journal: OperationJournal): Promise<PassOutcome> {
  let current = config;
  for (const row of await pendingOperations(conn, config.hostname)) {
    const outcome = await processOne(conn, current, deps, journal, row);
    if (outcome.config) {
      current = outcome.config;
      await deps.saveConfig(current);
    }
    if (outcome.reconnect) return { reconnect: true, config: current };
  }
  return current === config ? {} : { config: current };
}

async function processOne(conn: PgConnection, config: AgentConfig, deps: AgentDeps, journal: OperationJournal, row: OperationRow): Promise<PassOutcome> {
  const { log } = deps;
  const host = config.hostname;
  const payload = await verified(row, config, deps);
  if (typeof payload === 'string') {
    log(`operation ${row.id} refused: ${payload}`);
    await writeResult(conn, row.id, host, 'refused', payload);
    return {};
  }
  const local = await journal.lastState(row.id);
  if (local === 'done' || local === 'failed') {
    // Finished here before the result reached the database: report it, never run it again.
    const entry = await journal.last(row.id);
    await writeResult(conn, row.id, host, local, entry?.message ?? local);
    return {};
  }
  if (Date.parse(payload.deadline) < Date.now()) {
    const message = local === 'running' ? 'interrupted (the agent stopped) and past its deadline: not run again' : 'arrived after its deadline (the agent was not running): not run';
    log(`operation ${row.id} ${message}`);
    await journal.append({ id: row.id, kind: payload.body.kind, state: 'expired', message });
    await writeResult(conn, row.id, host, local === 'running' ? 'failed' : 'expired', message);
    return {};
  }
  log(`operation ${row.id}: ${payload.body.kind}${local === 'running' ? ' (finishing an interrupted run)' : ''}`);
  await journal.append({ id: row.id, kind: payload.body.kind, state: 'running', message: '' });
  await writeResult(conn, row.id, host, 'running', '');
  try {
    const siteKey = await loadSiteKey(deps.sys, config);
    const outcome = await runOperation(payload.body, { sys: deps.sys, config, siteKey, operationId: payload.id, log: (l) => log(`operation ${row.id}: ${l}`) });
    await journal.append({ id: row.id, kind: payload.body.kind, state: 'done', message: outcome.message });
    await writeResult(conn, row.id, host, 'done', outcome.message, outcome.details);
    return { ...(outcome.reconnect ? { reconnect: true } : {}), ...(outcome.config ? { config: outcome.config } : {}) };
  } catch (err) {
    const message = toErrorInfo(err).message;
    log(`operation ${row.id} failed: ${message}`);
    await journal.append({ id: row.id, kind: payload.body.kind, state: 'failed', message });
    await writeResult(conn, row.id, host, 'failed', message);
    return {};
  }
}

async function loadSiteKey(sys: System, config: AgentConfig): Promise<Buffer> {
  const text = await sys.secretStore.get(config.siteKeyFile);
  if (text === undefined) throw new Error(`this node has no site key (${config.siteKeyFile})`);
  return parseSiteKey(text);
}

/** The payload when its signature verifies with this node's key and it is addressed here; else why not. */
async function verified(row: OperationRow, config: AgentConfig, deps: AgentDeps): Promise<OperationPayload | string> {
  let key: Buffer;
  try {
    key = await loadSiteKey(deps.sys, config);
  } catch (err) {
    return `${toErrorInfo(err).message}: operations cannot be authenticated`;
  }
  if (!verifyPayload(key, row.payload, row.signature)) return 'not signed with the site key';
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.payload);
  } catch {
    return 'the payload is not JSON';
  }
  const payload = operationPayloadSchema.safeParse(parsed);
  if (!payload.success) return `the payload is not a known operation: ${payload.error.issues[0]?.message ?? 'invalid'}`;
  if (payload.data.id !== row.id) return 'the payload belongs to another operation';
  if (!payload.data.targets.includes(config.hostname)) return 'the payload is not addressed to this node';
  return payload.data;
}

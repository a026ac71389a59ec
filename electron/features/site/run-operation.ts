/**
 * Carries out one verified operation on this node. Each kind is idempotent: running it again
 * after an interruption reaches the same end state (services in the manifest's order with
 * readiness; files compared before they are written).
 */
import { assertNever } from '../../shared/assert-never.js';
import { formatConnectionString, parseConnectionString } from '../../shared/connection-string.js';
import { getManifest } from '../../product/index.js';
import type { System } from '../../system/system.js';
import type { AgentConfig } from './agent-config.js';
import type { OperationBody } from './operations.js';
import { openSecret } from './site-key.js';
import { registerNodeOnCentral } from '../registration/registration-operation.js';
import { maskConnection, type MaskedConnection } from '../../shared/site.js';
import { UserError } from '../../shared/errors.js';
import { inspectCert, pemCertificates } from '../../system/tls/index.js';
import { nodeCaPath } from '../tls/plan-tls.js';

export interface OperationOutcome {
  readonly message: string;
  readonly details?: unknown;
  /** The agent must reconnect with the (new) connection string. */
  readonly reconnect?: boolean;
  /** The agent's configuration changed (e.g. the folders). */
  readonly config?: AgentConfig;
}

export interface OperationContext {
  readonly sys: System;
  readonly config: AgentConfig;
  readonly siteKey: Buffer;
  readonly operationId: string;
  readonly log: (line: string) => void;
}

/** Stops the product services, last started first. */
export async function stopServices(ctx: Pick<OperationContext, 'sys' | 'config' | 'log'>): Promise<string[]> {
  const done: string[] = [];
  for (const s of [...ctx.config.services].reverse()) {
    ctx.log(`stopping ${s.name}`);
    await ctx.sys.services.stop(s.name);
    done.push(s.name);
  }
  return done;
}

/** Starts the product services in the manifest's order, each ready before the next. */
export async function startServices(ctx: Pick<OperationContext, 'sys' | 'config' | 'log'>): Promise<string[]> {
  const done: string[] = [];
  for (const s of ctx.config.services) {
    ctx.log(`starting ${s.name}`);
    await ctx.sys.services.start(s.name);
    const { logLine, ...rest } = s.readiness;
    await ctx.sys.services.waitReady(s.name, { ...rest, ...(logLine ? { logLine: new RegExp(logLine) } : {}) }, s.readinessLog);
    done.push(s.name);
  }
  return done;
}

/** The state of each reported service. */
export async function serviceStates(sys: System, config: AgentConfig): Promise<{ name: string; state: Awaited<ReturnType<System['services']['status']>> }[]> {
  return Promise.all(config.reportedServices.map(async (name) => ({ name, state: await sys.services.status(name).catch(() => 'unknown' as const) })));
}

/** Writes the CA a VerifyFull connection trusts (refused unless it is one CA certificate); whether it changed. */
async function writeNodeCa(ctx: OperationContext, pem: string): Promise<{ path: string; changed: boolean }> {
  const certs = pemCertificates(pem);
  const info = certs.length === 1 ? inspectCert(certs[0]!) : undefined;
  if (!info?.isCa) throw new UserError('invalid-input', 'The root certificate sent is not one CA certificate. Nothing was changed on this node.', 'Send the site CA (ca.pem) or the CA that signed the server certificate.');
  const path = nodeCaPath(ctx.config.productConfig.dataDir);
  const changed = (await ctx.sys.files.readText(path).catch(() => undefined)) !== pem;
  if (changed) {
    await ctx.sys.files.backup(path, `${ctx.config.stateDir}/backups`);
    await ctx.sys.files.writeAtomic(path, pem, { mode: 0o644, owner: ctx.config.account });
  }
  return { path, changed };
}

/** Runs the operation; throws a UserError when it cannot be done. */
export async function runOperation(body: OperationBody, ctx: OperationContext): Promise<OperationOutcome> {
  switch (body.kind) {
    case 'services': {
      const stopped = body.action === 'start' ? [] : await stopServices(ctx);
      const started = body.action === 'stop' ? [] : await startServices(ctx);
      return { message: `${body.action}: ${[...stopped.map((s) => `stopped ${s}`), ...started.map((s) => `started ${s}`)].join(', ')}`, details: { stopped, started } };
    }
    case 'connection': {
      const { sys, config } = ctx;
      const current = parseConnectionString((await sys.secretStore.get(config.connectionStringFile)) ?? '');
      const password = body.fields.password ? openSecret(ctx.siteKey, body.fields.password, ctx.operationId) : current.password;
      // The CA first: a VerifyFull string never names a file that is not there yet.
      const ca = body.fields.rootCertificate !== undefined ? await writeNodeCa(ctx, body.fields.rootCertificate) : undefined;
      const next = formatConnectionString({
        ...current,
        ...(ca ? { rootCertificate: ca.path } : {}),
        host: body.fields.host ?? current.host,
        port: body.fields.port ?? current.port,
        password,
        ...(body.fields.sslMode !== undefined ? { sslMode: body.fields.sslMode } : {}),
      });
      const changed = next !== formatConnectionString(current) || ca?.changed === true;
      if (changed) await sys.secretStore.put(config.connectionStringFile, next, config.account);
      const restarted = body.restart ? (await stopServices(ctx), await startServices(ctx)) : [];
      const fields = Object.keys(body.fields).join(', ');
      return {
        message: `${changed ? `connection string ${fields} set` : 'connection string already up to date'}${restarted.length ? `; restarted ${restarted.join(', ')}` : ''}`,
        details: { changed, restarted },
        reconnect: changed,
      };
    }
    case 'folders': {
      const { sys, config } = ctx;
      const share = { ...config.productConfig.share, ...Object.fromEntries(Object.entries(body.folders).filter(([, v]) => v !== undefined)) };
      const content = getManifest(config.product).renderConfig({
        hostname: config.hostname,
        isCentral: config.isCentral,
        installDir: config.productConfig.installDir,
        dataDir: config.productConfig.dataDir,
        share,
      });
      const changed = (await sys.files.readText(config.productConfig.file)) !== content;
      if (changed) {
        await sys.files.backup(config.productConfig.file, `${config.stateDir}/backups`);
        await sys.files.writeAtomic(config.productConfig.file, content, { mode: 0o640, owner: config.account });
      }
      return {
        message: changed ? `folders set (${Object.keys(body.folders).join(', ')}); restart the services for them to take effect` : 'folders already set',
        details: { changed, share },
        config: { ...config, productConfig: { ...config.productConfig, share } },
      };
    }
    case 'endpoints': {
      const endpoints = body.endpoints.map((e) => ({ host: e.host, port: e.port }));
      const text = endpoints.map((e) => `${e.host}:${e.port}`).join(', ');
      const changed = JSON.stringify(endpoints) !== JSON.stringify(ctx.config.endpoints);
      return { message: changed ? `database endpoints set: ${text}` : `database endpoints already ${text}`, details: { changed, endpoints }, config: { ...ctx.config, endpoints } };
    }
    case 'status': {
      // The connection string masked here, on the node: the database only ever gets its fields without the password.
      const text = await ctx.sys.secretStore.get(ctx.config.connectionStringFile).catch(() => undefined);
      let connection: MaskedConnection | string;
      try {
        connection = text === undefined ? 'missing' : maskConnection(parseConnectionString(text));
      } catch {
        connection = 'unreadable';
      }
      return { message: 'status reported', details: { services: await serviceStates(ctx.sys, ctx.config), connection, folders: { ...ctx.config.productConfig.share } } };
    }
    case 'diagnostics': {
      const logs: Record<string, string[]> = {};
      for (const s of ctx.config.services) {
        const text = s.readinessLog ? ((await ctx.sys.files.readText(s.readinessLog).catch(() => undefined)) ?? '') : '';
        logs[s.name] = text.split('\n').filter(Boolean).slice(-body.logLines);
      }
      return { message: 'diagnostics collected', details: { services: await serviceStates(ctx.sys, ctx.config), logs, productVersion: ctx.config.productVersion } };
    }
    case 'register-node':
      return registerNodeOnCentral(body.hostname, ctx);
    default:
      return assertNever(body);
  }
}

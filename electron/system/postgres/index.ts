/**
 * The PostgreSQL side effects the engine uses, behind one interface built at the composition root.
 */
import { connectPostgres } from './client.js';
import type { PgConnectOptions, PgConnection } from './client.js';
import { applyConfigToRunningServer, configPaths, validateConfigOffline, validateEdits } from './server-config.js';
import { readSettingsFacts, type SettingsFacts } from './setting-sources.js';
import type { ConfigApplyResult, ConfigChange, OfflineValidation } from './server-config.js';
import { listenForNotifications, type NotifyListener } from './notify.js';
import { findServerBinaries, initCluster, isServerRunning, startServer, stopServer } from './local-server.js';
import type { InitClusterOptions, ServerBinaries, ServerDir, StartServerOptions, StopServerOptions } from './local-server.js';
import type { Processes } from '../types.js';
import { pingPostgres, type PingResult } from './ping.js';
import { readServerCertificate, type PresentedCertificate } from './server-certificate-probe.js';

export type { PingResult } from './ping.js';
export type { PresentedCertificate } from './server-certificate-probe.js';

export type { PgConnectOptions, PgConnection, PgSetting, EnsureResult, PgSslMode } from './client.js';
export type { ConfigApplyResult, ConfigChange, OfflineValidation } from './server-config.js';
export type { InitClusterOptions, ServerBinaries, ServerDir, StartServerOptions, StopServerOptions } from './local-server.js';
export type { NotifyListener } from './notify.js';
export type { HbaRule, HbaRecord, HbaEntry, HbaClient } from './hba-editor.js';
export { setConfSettings, readConfSetting, parseConf, formatConfValue } from './conf-editor.js';
export { ensureHbaRules, parseHba, findMatchingRule, isClientAllowed, ruleForClient, formatHbaRule } from './hba-editor.js';
export { scramVerifier, md5Verifier, verifierMatches } from './scram.js';
export { toPgUserError } from './client.js';
export { hashText } from './server-config.js';
export { settingTargets, sameSettingValue, describeTarget, autoConfPath } from './setting-sources.js';
export type { SettingsFacts, SettingSource, SettingChange, SettingTarget, ConfigFileError } from './setting-sources.js';

export interface Postgres {
  /** Opens a connection (bounded timeout); failures are UserErrors. */
  connect(options: PgConnectOptions): Promise<PgConnection>;
  /** A connection that LISTENs on a channel and calls back on each NOTIFY. */
  listen(options: PgConnectOptions, channel: string, onNotify: (payload: string) => void): Promise<NotifyListener>;
  /** The config file paths a running server reads. */
  configPaths(conn: PgConnection): Promise<{ conf: string; hba: string; dataDir: string }>;
  /** Backup, write, validate by the server, reload, confirm; restores and throws when refused. */
  applyConfig(conn: PgConnection, change: ConfigChange): Promise<ConfigApplyResult>;
  /** pg_settings and pg_file_settings for these settings: where each value in effect comes from. */
  settingsFacts(conn: PgConnection, names: readonly string[]): Promise<SettingsFacts>;
  /** `postgres -C` on the running server's configuration with these files edited; undefined when its programs are elsewhere. */
  validateEdits(conn: PgConnection, edits: ReadonlyMap<string, string>, names: readonly string[]): Promise<Readonly<Record<string, string>> | undefined>;
  /** Validates a postgresql.conf for a stopped server (postgres -C on a copy). */
  validateOffline(opts: OfflineValidation): Promise<Readonly<Record<string, string>>>;
  findServerBinaries(): readonly ServerBinaries[];
  initCluster(opts: InitClusterOptions): Promise<void>;
  startServer(opts: StartServerOptions): Promise<void>;
  stopServer(opts: StopServerOptions): Promise<void>;
  isServerRunning(opts: ServerDir): Promise<boolean>;
  /** Whether the server at host:port accepts connections, as pg_isready tells it (no credentials sent). */
  ping(host: string, port: number, timeoutMs: number): Promise<PingResult>;
  /** The certificate the server presents (read, never trusted; no credentials sent); undefined without SSL. */
  serverCertificate(host: string, port: number, timeoutMs: number): Promise<PresentedCertificate | undefined>;
}

/** The real implementation; PostgreSQL's programs run through `processes`. */
export function createPostgres(processes: Processes): Postgres {
  return {
    connect: connectPostgres,
    listen: listenForNotifications,
    configPaths,
    applyConfig: (conn, change) => applyConfigToRunningServer(processes, conn, change),
    validateOffline: (opts) => validateConfigOffline(processes, opts),
    settingsFacts: readSettingsFacts,
    validateEdits: (conn, edits, names) => validateEdits(processes, conn, edits, names),
    findServerBinaries,
    initCluster: (opts) => initCluster(processes, opts),
    startServer: (opts) => startServer(processes, opts),
    stopServer: (opts) => stopServer(processes, opts),
    isServerRunning: (opts) => isServerRunning(processes, opts),
    ping: pingPostgres,
    serverCertificate: readServerCertificate,
  };
}

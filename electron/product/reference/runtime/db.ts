/**
 * Database connections of the reference programs, from the parsed connection string.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { toClientConfig, type ConnectionFields } from '../../../shared/connection-string.js';

/** The database did not answer within the allowed time. */
export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError';
}

/** A short description of a connection failure (pg messages carry no password). */
export function describeDbError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = e.message && e.message !== '' ? e.message : String(err);
  return e.code ? `${message} (${e.code})` : message;
}

/** pg's options for the connection string; VerifyCA/VerifyFull trust its Root Certificate (the site CA), as Npgsql does. */
export function clientConfig(connection: ConnectionFields): ReturnType<typeof toClientConfig> {
  const ca = connection.rootCertificate !== undefined ? readFileSync(connection.rootCertificate, 'utf8') : undefined;
  return toClientConfig(connection, ca);
}

/** Connects once; the client's later errors are reported through onError instead of crashing. */
export async function connectClient(
  connection: ConnectionFields,
  applicationName: string,
  timeoutMs: number,
  onError: (err: Error) => void = () => {},
): Promise<pg.Client> {
  const client = new pg.Client({ ...clientConfig(connection), application_name: applicationName, connectionTimeoutMillis: timeoutMs });
  client.on('error', onError);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  return client;
}

export interface RetryOptions {
  readonly totalMs: number;
  readonly retryMs: number;
  readonly onRetry: (err: unknown) => void;
  readonly stopped: () => boolean;
  /** Errors of the connected client after connecting (e.g. the server went away). */
  readonly onError?: (err: Error) => void;
}

/** Connects, retrying until totalMs has passed; then throws DatabaseUnreachableError. */
export async function connectWithRetry(connection: ConnectionFields, applicationName: string, opts: RetryOptions): Promise<pg.Client> {
  const started = Date.now();
  for (;;) {
    try {
      return await connectClient(connection, applicationName, Math.max(1000, Math.min(opts.retryMs * 2, 10_000)), opts.onError);
    } catch (err) {
      if (opts.stopped()) throw err;
      if (Date.now() - started + opts.retryMs > opts.totalMs) {
        throw new DatabaseUnreachableError(`The repository database stayed unreachable for ${Math.round((Date.now() - started) / 1000)} s: ${describeDbError(err)}`);
      }
      opts.onRetry(err);
      await new Promise((r) => setTimeout(r, opts.retryMs));
    }
  }
}

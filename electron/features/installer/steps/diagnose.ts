/**
 * Failure messages that name the cause (issue 13): when a step that needs the repository database
 * fails while the database does not answer, the message says so ("the repository database at H:P
 * stopped answering") instead of a service timeout; a port a service needs that another process
 * holds is named with that process ("port N is taken by PID P (program)").
 */
import { UserError, toErrorInfo } from '../../../shared/errors.js';
import type { System } from '../../../system/system.js';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

const firstLine = (text: string) => text.split('\n')[0] ?? text;

/** Runs `fn`; when it fails and the database does not accept a connection, the failure says that. */
export async function explainDatabaseDown<T>(sys: System, database: Endpoint | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!database) throw err;
    const answer = await sys.postgres.ping(database.host, database.port, 3_000);
    if (answer.state === 'accepting') throw err;
    throw databaseDown(database, `${answer.reason}; ${firstLine(toErrorInfo(err).message)}`);
  }
}

function databaseDown(database: Endpoint, detail: string): UserError {
  return new UserError(
    'database',
    `The repository database at ${database.host}:${database.port} stopped answering (${detail}).`,
    `Start the database again (its service, or the database server) and check the network to it, then run \`spsetup resume\`.`,
    { host: database.host, port: database.port },
  );
}

/** Refuses to start `service` while the database it needs does not accept a connection (it would only time out). */
export async function refuseDatabaseDown(sys: System, database: Endpoint | undefined, service: string): Promise<void> {
  if (!database) return;
  const answer = await sys.postgres.ping(database.host, database.port, 3_000);
  if (answer.state !== 'accepting') throw databaseDown(database, `${answer.reason}; ${service} was not started`);
}

/** Refuses to start `service` when another process already listens on its port, naming that process. */
export async function refuseTakenPort(sys: System, service: string, port: number | undefined): Promise<void> {
  if (port === undefined || (await sys.network.isPortFree(port))) return;
  const owner = await sys.network.portOwner(port);
  throw new UserError(
    'conflict',
    `Port ${port}, which ${service} listens on, is taken by ${owner ? `PID ${owner.pid} (${owner.program})` : 'another program'}.`,
    `Stop that program (or give ${service} another port in the settings), then run \`spsetup resume\`.`,
    { port, ...(owner ? { pid: owner.pid } : {}) },
  );
}

/** The last lines of a service log, for a message ('' when there is none). */
export async function logTail(sys: System, logFile: string | undefined, lines = 10): Promise<string> {
  if (!logFile) return '';
  const text = await sys.files.readText(logFile).catch(() => undefined);
  return text ? text.trimEnd().split('\n').slice(-lines).join('\n') : '';
}

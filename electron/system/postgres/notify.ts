/**
 * A connection that LISTENs on one channel and calls back on each NOTIFY. Wakes the node agent
 * at once when an operation arrives; the agent still polls, so a lost connection only slows it.
 */
import { Client, escapeIdentifier } from 'pg';
import { clientConfig, endClient, toPgUserError, type PgConnectOptions } from './client.js';

export interface NotifyListener {
  /** Resolves when the connection ends (error or close). */
  readonly ended: Promise<void>;
  close(): Promise<void>;
}

/** Connects and LISTENs on `channel`; failures to connect are UserErrors. */
export async function listenForNotifications(opts: PgConnectOptions, channel: string, onNotify: (payload: string) => void): Promise<NotifyListener> {
  const client = new Client({ ...(await clientConfig(opts, 'spsetup-node-agent')), keepAlive: true });
  let markEnded: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  client.on('error', () => markEnded());
  client.on('end', () => markEnded());
  client.on('notification', (n) => {
    if (n.channel === channel) onNotify(n.payload ?? '');
  });
  try {
    await client.connect();
    await client.query(`LISTEN ${escapeIdentifier(channel)}`);
  } catch (err) {
    await endClient(client);
    throw toPgUserError(err, opts);
  }
  return {
    ended,
    async close() {
      await endClient(client);
      markEnded();
    },
  };
}

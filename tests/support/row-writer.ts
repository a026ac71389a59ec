/**
 * A writer for the failover tests and bench, run in a node's namespace as its own process:
 * inserts numbered rows one commit at a time and prints `ack ID MS HOST` only after the commit
 * returned. When the server is lost it asks each host (or host:port) in WRITER_HOSTS until one is a primary
 * (pg_is_in_recovery() false), as the node agents do, and goes on there. The password comes in
 * PGPASSWORD, never in argv. Stops on SIGTERM.
 */
import pg from 'pg';

const hosts = (process.env['WRITER_HOSTS'] ?? '').split(',').filter(Boolean);
const port = Number(process.env['WRITER_PORT']);
const table = process.env['WRITER_TABLE'] ?? 'writer_rows';
const base = { port, user: process.env['WRITER_USER'] ?? 'postgres', password: process.env['PGPASSWORD'] ?? '', database: process.env['WRITER_DATABASE'] ?? 'postgres' };
// A lost server leaves a query waiting forever (no RST on a cut link): bound each one.
const clientConfig = { ...base, connectionTimeoutMillis: 1_000, query_timeout: 2_000 };
const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let stopping = false;
process.on('SIGTERM', () => (stopping = true));

async function connectPrimary(): Promise<{ client: pg.Client; host: string }> {
  for (;;) {
    for (const host of hosts) {
      // An entry may carry its own port (host:port): pg_auto_failover's nodes on one test host differ by port.
      const [h, p] = host.split(':');
      const client = new pg.Client({ ...clientConfig, host: h, ...(p ? { port: Number(p) } : {}) });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const r = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
        if (!r.rows[0]!.r) return { client, host };
      } catch {
        // Not reachable or not answering: try the next host.
      }
      await client.end().catch(() => undefined);
    }
    await sleep(100);
  }
}

let { client, host } = await connectPrimary();
say(`primary ${Date.now()} ${host}`);
await client.query(`CREATE TABLE IF NOT EXISTS ${table} (id integer PRIMARY KEY, at timestamptz DEFAULT now())`);
let id = 0;
while (!stopping) {
  id += 1;
  try {
    await client.query(`INSERT INTO ${table} (id) VALUES ($1)`, [id]);
    say(`ack ${id} ${Date.now()} ${host}`);
  } catch (err) {
    say(`fail ${id} ${Date.now()} ${(err as Error).message.replace(/\s+/g, ' ')}`);
    await client.end().catch(() => undefined);
    ({ client, host } = await connectPrimary());
    say(`primary ${Date.now()} ${host}`);
  }
}
await client.end().catch(() => undefined);

/**
 * The repository API's objects in the repository database: server node configurations with their
 * registrations (the sealed certificate set, redeemed once), data connections and system rules.
 * JSON shapes follow the real repository API (camelCase, id, modifiedDate); only the fields the
 * installer uses are kept. The central node's bootstrap seeds what a new site has.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/** Runs inside the schema transaction of the bootstrap (CREATE ... IF NOT EXISTS: idempotent). */
export const QRS_SCHEMA_SQL = [
  `CREATE TABLE IF NOT EXISTS qrs_server_nodes (
     id uuid PRIMARY KEY, name text NOT NULL, host_name text NOT NULL UNIQUE, is_central boolean NOT NULL DEFAULT false,
     node_purpose integer NOT NULL DEFAULT 0, engine_enabled boolean NOT NULL DEFAULT true, proxy_enabled boolean NOT NULL DEFAULT true,
     scheduler_enabled boolean NOT NULL DEFAULT true, printing_enabled boolean NOT NULL DEFAULT true,
     created_date timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()), modified_date timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()))`,
  `CREATE TABLE IF NOT EXISTS qrs_node_registrations (
     node_id uuid PRIMARY KEY REFERENCES qrs_server_nodes (id) ON DELETE CASCADE, salt text NOT NULL, proof text NOT NULL, sealed text NOT NULL,
     started_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL, redeemed_at timestamptz)`,
  `CREATE TABLE IF NOT EXISTS qrs_data_connections (
     id uuid PRIMARY KEY, name text NOT NULL UNIQUE, connectionstring text NOT NULL, type text NOT NULL, username text NOT NULL DEFAULT '',
     created_date timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()), modified_date timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()))`,
  `CREATE TABLE IF NOT EXISTS qrs_system_rules (
     id uuid PRIMARY KEY, name text NOT NULL, category text NOT NULL, type text NOT NULL, rule text NOT NULL, resource_filter text NOT NULL,
     actions integer NOT NULL, comment text NOT NULL DEFAULT '', disabled boolean NOT NULL DEFAULT false, rule_context text NOT NULL DEFAULT 'BothQlikSenseAndQMC',
     created_date timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()), modified_date timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()))`,
  // The site licence (the real API holds at most one).
  `CREATE TABLE IF NOT EXISTS qrs_licenses (
     id uuid PRIMARY KEY, name text NOT NULL DEFAULT '', organization text NOT NULL DEFAULT '', key text NOT NULL, serial text NOT NULL,
     created_date timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()), modified_date timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()))`,
];

/** What a new site's repository holds that the guide's monitoring apps section edits. */
export function centralSeeds(dataDir: string): { connections: { name: string; connectionstring: string; type: string }[]; rules: { name: string; category: string; type: string; rule: string; resourceFilter: string; actions: number }[] } {
  const rest = (path: string) => `CUSTOM CONNECT TO "provider=QvRestConnector.exe;url=https://localhost/qrs/${path};timeout=900;method=GET;autoDetectResponseType=true;keyGenerationStrategy=0;useWindowsAuthentication=true;"`;
  return {
    connections: [
      { name: 'ArchivedLogsFolder', connectionstring: `${dataDir}/Repository/Archived Logs`, type: 'Folder' },
      { name: 'monitor_apps_REST_app', connectionstring: rest('app/full'), type: 'QvRestConnector.exe' },
      { name: 'monitor_apps_REST_task', connectionstring: rest('task/full'), type: 'QvRestConnector.exe' },
    ],
    rules: [{ name: 'ResourcesOnNonCentralNodes', category: 'Sync', type: 'Default', rule: '((node.iscentral="false"))', resourceFilter: 'App_*', actions: 1 }],
  };
}

/** Inserts the seed rows that are missing (by name); never changes an existing one. */
export async function seedCentral(client: pg.Client, dataDir: string): Promise<number> {
  const seeds = centralSeeds(dataDir);
  let added = 0;
  for (const c of seeds.connections) {
    const r = await client.query('INSERT INTO qrs_data_connections (id, name, connectionstring, type) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING', [randomUUID(), c.name, c.connectionstring, c.type]);
    added += r.rowCount ?? 0;
  }
  for (const rule of seeds.rules) {
    const r = await client.query(
      `INSERT INTO qrs_system_rules (id, name, category, type, rule, resource_filter, actions) SELECT $1, $2, $3, $4, $5, $6, $7
        WHERE NOT EXISTS (SELECT 1 FROM qrs_system_rules WHERE name = $2 AND type = $4)`,
      [randomUUID(), rule.name, rule.category, rule.type, rule.rule, rule.resourceFilter, rule.actions],
    );
    added += r.rowCount ?? 0;
  }
  return added;
}

/** The central node's own server node configuration (made once). */
export async function ensureCentralNode(client: pg.Client, hostname: string): Promise<void> {
  await client.query(
    `INSERT INTO qrs_server_nodes (id, name, host_name, is_central) VALUES ($1, $2, $2, true)
     ON CONFLICT (host_name) DO UPDATE SET is_central = true WHERE qrs_server_nodes.is_central = false`,
    [randomUUID(), hostname],
  );
}

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));

/** One kind of object of the API: its table, JSON fields and which fields a filter or a PUT may name. */
export interface QrsResource {
  readonly table: string;
  /** JSON field -> column. */
  readonly fields: Readonly<Record<string, string>>;
  /** Fields a PUT/POST may set. */
  readonly writable: readonly string[];
}

export const RESOURCES = {
  serverNodeConfiguration: {
    table: 'qrs_server_nodes',
    fields: { id: 'id', name: 'name', hostName: 'host_name', isCentral: 'is_central', nodePurpose: 'node_purpose', engineEnabled: 'engine_enabled', proxyEnabled: 'proxy_enabled', schedulerEnabled: 'scheduler_enabled', printingEnabled: 'printing_enabled', createdDate: 'created_date', modifiedDate: 'modified_date' },
    writable: ['name', 'hostName', 'nodePurpose', 'engineEnabled', 'proxyEnabled', 'schedulerEnabled', 'printingEnabled'],
  },
  dataconnection: {
    table: 'qrs_data_connections',
    fields: { id: 'id', name: 'name', connectionstring: 'connectionstring', type: 'type', username: 'username', createdDate: 'created_date', modifiedDate: 'modified_date' },
    writable: ['name', 'connectionstring', 'type', 'username'],
  },
  license: {
    table: 'qrs_licenses',
    fields: { id: 'id', name: 'name', organization: 'organization', key: 'key', serial: 'serial', createdDate: 'created_date', modifiedDate: 'modified_date' },
    writable: ['key', 'serial'],
  },
  systemrule: {
    table: 'qrs_system_rules',
    fields: { id: 'id', name: 'name', category: 'category', type: 'type', rule: 'rule', resourceFilter: 'resource_filter', actions: 'actions', comment: 'comment', disabled: 'disabled', ruleContext: 'rule_context', createdDate: 'created_date', modifiedDate: 'modified_date' },
    writable: ['name', 'category', 'type', 'rule', 'resourceFilter', 'actions', 'comment', 'disabled', 'ruleContext'],
  },
} as const satisfies Record<string, QrsResource>;
export type ResourceName = keyof typeof RESOURCES;

/** A database row as the API's JSON object. */
export function toJson(resource: QrsResource, row: Row): Row {
  const out: Row = {};
  for (const [field, column] of Object.entries(resource.fields)) {
    const v = row[column];
    out[field] = field.endsWith('Date') ? iso(v) : v;
  }
  return out;
}

/** A filter the API accepts: `field eq 'value'` clauses joined by `and` (the subset the installer sends). */
export function parseFilter(resource: QrsResource, filter: string): { column: string; value: string }[] {
  const clauses = filter.trim().split(/\s+and\s+/i);
  return clauses.map((clause) => {
    const m = /^(\w+)\s+eq\s+'((?:[^']|'')*)'$/i.exec(clause.trim());
    if (!m) throw new QrsError(400, `Unsupported filter: ${clause}`);
    const field = Object.keys(resource.fields).find((f) => f.toLowerCase() === m[1]!.toLowerCase());
    if (!field) throw new QrsError(400, `Unknown field in filter: ${m[1]}`);
    return { column: resource.fields[field as keyof typeof resource.fields] as string, value: m[2]!.replace(/''/g, "'") };
  });
}

/** The licence number of a signed licence key, as the API shows it (groups of four digits); a 400 when the key is not one. */
export function licenceSerial(key: unknown): string {
  const parts = typeof key === 'string' ? key.split('.') : [];
  let number = '';
  try {
    const payload = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as { license?: unknown };
    number = parts.length === 3 && typeof payload.license === 'string' ? payload.license.replace(/\D/g, '') : '';
  } catch {
    number = '';
  }
  if (number === '') throw new QrsError(400, 'The key is not a signed license key');
  return number.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** An API error: HTTP status and message. */
export class QrsError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Rows matching the filter clauses (all when none). */
export async function listObjects(db: pg.Pool, resource: QrsResource, clauses: readonly { column: string; value: string }[]): Promise<Row[]> {
  const where = clauses.map((c, i) => `${c.column}::text = $${i + 1}`).join(' AND ');
  const res = await db.query(`SELECT * FROM ${resource.table}${where ? ` WHERE ${where}` : ''} ORDER BY created_date, name`, clauses.map((c) => c.value));
  return res.rows.map((r: Row) => toJson(resource, r));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One object by id. */
export async function getObject(db: pg.Pool | pg.PoolClient, resource: QrsResource, id: string): Promise<Row> {
  if (!UUID.test(id)) throw new QrsError(400, `Not an id: ${id}`);
  const res = await db.query(`SELECT * FROM ${resource.table} WHERE id = $1`, [id]);
  if (res.rows.length === 0) throw new QrsError(404, `No ${resource.table} object with id ${id}`);
  return toJson(resource, res.rows[0] as Row);
}

function writableValues(resource: QrsResource, body: Row): [string, unknown][] {
  return resource.writable.filter((f) => body[f] !== undefined).map((f) => [resource.fields[f as keyof typeof resource.fields] as string, body[f]]);
}

/** Creates an object from the body's writable fields. */
export async function createObject(db: pg.Pool, resource: QrsResource, body: Row): Promise<Row> {
  const values = writableValues(resource, body);
  const id = randomUUID();
  const columns = ['id', ...values.map(([c]) => c)];
  try {
    const res = await db.query(`INSERT INTO ${resource.table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`, [id, ...values.map(([, v]) => v)]);
    return toJson(resource, res.rows[0] as Row);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === '23505') throw new QrsError(409, `Duplicate: ${e.message ?? 'an object with this key exists'}`);
    if (e.code === '23502' || e.code === '22P02') throw new QrsError(400, `Invalid object: ${e.message ?? ''}`);
    throw err;
  }
}

/** Updates an object; the body's modifiedDate must be the stored one (else 409, as the real API). */
export async function updateObject(db: pg.Pool, resource: QrsResource, id: string, body: Row): Promise<Row> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const current = await getObject(client, resource, id);
    if (typeof body['modifiedDate'] !== 'string' || Date.parse(body['modifiedDate']) !== Date.parse(String(current['modifiedDate']))) {
      throw new QrsError(409, `Conflict: the object was modified at ${String(current['modifiedDate'])}; read it again`);
    }
    const values = writableValues(resource, body);
    const sets = [...values.map(([c], i) => `${c} = $${i + 2}`), `modified_date = greatest(date_trunc('milliseconds', clock_timestamp()), modified_date + interval '1 millisecond')`];
    const res = await client.query(`UPDATE ${resource.table} SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, [id, ...values.map(([, v]) => v)]);
    await client.query('COMMIT');
    return toJson(resource, res.rows[0] as Row);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Deletes an object (404 when there is none). */
export async function deleteObject(db: pg.Pool, resource: QrsResource, id: string): Promise<void> {
  await getObject(db, resource, id);
  await db.query(`DELETE FROM ${resource.table} WHERE id = $1`, [id]);
}

/** Stores a started registration (replacing an earlier one of the node: Redistribute). */
export async function storeRegistration(db: pg.Pool, nodeId: string, sealed: { salt: string; proof: string; sealed: string }, validMs: number): Promise<void> {
  await db.query(
    `INSERT INTO qrs_node_registrations (node_id, salt, proof, sealed, started_at, expires_at, redeemed_at) VALUES ($1, $2, $3, $4, now(), now() + $5 * interval '1 millisecond', NULL)
     ON CONFLICT (node_id) DO UPDATE SET salt = EXCLUDED.salt, proof = EXCLUDED.proof, sealed = EXCLUDED.sealed, started_at = now(), expires_at = EXCLUDED.expires_at, redeemed_at = NULL`,
    [nodeId, sealed.salt, sealed.proof, sealed.sealed, validMs],
  );
}

/** The salt of a host's open registration (undefined when there is none). */
export async function registrationSalt(db: pg.Pool, hostname: string): Promise<string | undefined> {
  const res = await db.query<{ salt: string }>(
    `SELECT r.salt FROM qrs_node_registrations r JOIN qrs_server_nodes n ON n.id = r.node_id WHERE n.host_name = $1 AND r.redeemed_at IS NULL AND r.expires_at > now()`,
    [hostname],
  );
  return res.rows[0]?.salt;
}

/** Redeems a host's registration once: the sealed set when the proof matches, else why not. */
export async function redeemRegistration(db: pg.Pool, hostname: string, matches: (expected: string) => boolean): Promise<{ sealed: string } | { refused: 404 | 403 | 410 }> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const res = await client.query<{ node_id: string; proof: string; sealed: string; redeemed: boolean; expired: boolean }>(
      `SELECT r.node_id, r.proof, r.sealed, r.redeemed_at IS NOT NULL AS redeemed, r.expires_at <= now() AS expired
         FROM qrs_node_registrations r JOIN qrs_server_nodes n ON n.id = r.node_id WHERE n.host_name = $1 FOR UPDATE OF r`,
      [hostname],
    );
    const row = res.rows[0];
    let outcome: { sealed: string } | { refused: 404 | 403 | 410 };
    if (!row) outcome = { refused: 404 };
    else if (row.redeemed || row.expired) outcome = { refused: 410 };
    else if (!matches(row.proof)) outcome = { refused: 403 };
    else {
      await client.query('UPDATE qrs_node_registrations SET redeemed_at = now() WHERE node_id = $1', [row.node_id]);
      outcome = { sealed: row.sealed };
    }
    await client.query('COMMIT');
    return outcome;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** The central node's host name from the product's node table (what a rim node fetches from). */
export async function centralHost(client: pg.Client | pg.Pool): Promise<string | undefined> {
  const res = await client.query<{ hostname: string }>('SELECT hostname FROM nodes WHERE is_central');
  return res.rows[0]?.hostname;
}

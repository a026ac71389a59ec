/**
 * Prints the database catalog snapshot (tests/support/snapshot.ts) as JSON. Run inside a node's
 * network namespace, where its database is reachable; the connection options (with the password)
 * come on stdin, never in argv.
 */
import { takeSnapshot } from '../support/snapshot.js';
import type { PgSnapshotOptions } from '../support/snapshot.js';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const pg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as PgSnapshotOptions;
const snap = await takeSnapshot({ roots: [], pg });
process.stdout.write(JSON.stringify(snap));

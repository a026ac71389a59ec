/**
 * The reference repository's content writer (off unless `repository.contentWriterMs` is set): it
 * keeps writing app files to the share's Apps folder, each followed by its row in `apps` (name =
 * the file's SHA-256), like the real product keeps content in the share and the repository. On
 * stop it finishes the pair it is writing, so a stopped site never holds a row without its file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { connectClient, describeDbError } from './db.js';
import type { ProgramContext } from './program.js';

/** Starts writing; the returned function stops it after the pair in progress. */
export function startContentWriter(ctx: ProgramContext, intervalMs: number): () => Promise<void> {
  let client: pg.Client | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let n = 0;
  const writeOne = async (): Promise<void> => {
    client ??= await connectClient(ctx.connection, 'reference-content-writer', 5_000, () => (client = undefined));
    const body = randomBytes(512 + Math.floor(Math.random() * 4096));
    const sha = createHash('sha256').update(body).digest('hex');
    const name = `${ctx.config.hostname}-${Date.now()}-${n++}.qvf`;
    const path = join(ctx.config.share.apps, name);
    await writeFile(`${path}.tmp`, body, { mode: 0o640 });
    await rename(`${path}.tmp`, path);
    await client.query('INSERT INTO apps (name, owner_node, file_name) VALUES ($1, $2, $3)', [sha, ctx.config.hostname, name]);
  };
  const tick = () => {
    if (stopped) return;
    inFlight = writeOne().catch((err: unknown) => {
      ctx.log.warn(`content writer: ${describeDbError(err)}`);
      const c = client;
      client = undefined;
      void c?.end().catch(() => {});
    });
    void inFlight.then(() => {
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  };
  ctx.log.info(`Content writer on: an app every ${intervalMs} ms into ${ctx.config.share.apps}`);
  tick();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await inFlight;
    await client?.end().catch(() => {});
  };
}

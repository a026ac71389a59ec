/** Reads the node registration from the shared repository database. */
import type { StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import type { RepositoryConnection } from './params.js';

/** Whether the host is registered, and as central or not; undefined when it is not. */
export async function readRegistration(
  ctx: Pick<StepContext<System>, 'sys' | 'secret'>,
  repo: RepositoryConnection,
  query: string,
  hostname: string,
): Promise<{ isCentral: boolean } | undefined> {
  const conn = await ctx.sys.postgres.connect({ ...repo, password: ctx.secret(repo.password.secret), timeoutMs: 10_000 });
  try {
    const rows = await conn.query<{ is_central: boolean }>(query, [hostname]).catch((err: unknown) => {
      // Before the first bootstrap the schema does not exist yet: that is "not registered".
      if (/does not exist/.test(String((err as Error).message))) return [];
      throw err;
    });
    return rows[0] ? { isCentral: Boolean(rows[0].is_central) } : undefined;
  } finally {
    await conn.close();
  }
}

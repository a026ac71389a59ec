/**
 * Where pg_autoctl keeps its files for one data directory: its configuration and state under
 * XDG folders in spsetup's state folder (not in the server account's home, so two machines' keepers
 * on one host, and spsetup's own checks, find exactly this one), and the password file libpq reads.
 */
import { z } from 'zod';
import type { System } from '../../../system/system.js';

export const autoctlHome = z.object({ root: z.string(), dataDir: z.string(), osUser: z.string() }).strict();
export type AutoctlHome = z.infer<typeof autoctlHome>;

/** The environment every pg_autoctl run (create, run, show) gets: the same folders, the password file. */
export function autoctlEnv(h: AutoctlHome): Record<string, string> {
  return {
    XDG_CONFIG_HOME: `${h.root}/config`,
    XDG_DATA_HOME: `${h.root}/data`,
    XDG_RUNTIME_DIR: `${h.root}/run`,
    PGPASSFILE: `${h.root}/pgpass`,
    // runuser is in sbin; root's own PATH entries would only make pg_autoctl stat folders it may not read.
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
  };
}

/** pg_autoctl's configuration file: present once `create` has registered the node. */
export const autoctlConfigFile = (h: AutoctlHome) => `${h.root}/config/pg_autoctl${h.dataDir}/pg_autoctl.cfg`;
/** pg_autoctl's init file: present while a `create` has not finished. */
export const autoctlInitFile = (h: AutoctlHome) => `${h.root}/data/pg_autoctl${h.dataDir}/pg_autoctl.init`;
export const autoctlStateFile = (h: AutoctlHome) => `${h.root}/data/pg_autoctl${h.dataDir}/pg_autoctl.state`;

/** pg_autoctl's folders, private to the server's account (the state folder above them stays traversable). */
export async function ensureAutoctlHome(sys: Pick<System, 'files'>, h: AutoctlHome): Promise<void> {
  await sys.files.ensureDir(h.root.slice(0, h.root.lastIndexOf('/')), { mode: 0o755 });
  for (const sub of ['', '/config', '/data', '/run']) await sys.files.ensureDir(`${h.root}${sub}`, { mode: 0o700, owner: h.osUser });
}

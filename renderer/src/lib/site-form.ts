/** The Site screen's operation form (as inputs hold it) and the request it describes; pure, so it is unit tested. */
import { SITE_FOLDERS, siteOperationInputSchema } from '../../../electron/shared/site.js';
import type { SiteFolder } from '../../../electron/shared/site.js';

export type SiteKind = 'services' | 'connection' | 'folders';

/** The operation as typed on the screen (strings, as inputs hold them). */
export interface SiteOperationForm {
  kind: SiteKind;
  servicesAction: 'stop' | 'start' | 'restart';
  host: string;
  port: string;
  sslMode: string;
  password: string;
  restart: boolean;
  folders: Record<SiteFolder, string>;
  /** Nodes left out of the operation (all nodes take part unless unticked). */
  excluded: Record<string, boolean>;
  timeoutSeconds: string;
}

/** The request the form describes; fields left empty are not changed. */
export function toSiteOperation(f: SiteOperationForm, nodes: readonly string[]): unknown {
  const chosen = nodes.filter((n) => !f.excluded[n]);
  const action =
    f.kind === 'services'
      ? { kind: 'services', action: f.servicesAction }
      : f.kind === 'connection'
        ? {
            kind: 'connection',
            ...(f.host.trim() !== '' ? { host: f.host.trim() } : {}),
            ...(f.port.trim() !== '' ? { port: /^\d+$/.test(f.port.trim()) ? Number(f.port.trim()) : Number.NaN } : {}),
            ...(f.sslMode !== '' ? { sslMode: f.sslMode } : {}),
            ...(f.password !== '' ? { password: f.password } : {}),
            restart: f.restart,
          }
        : { kind: 'folders', folders: Object.fromEntries(SITE_FOLDERS.filter((n) => f.folders[n] !== '').map((n) => [n, f.folders[n]])) };
  return {
    action,
    ...(chosen.length < nodes.length ? { nodes: chosen } : {}),
    timeoutSeconds: /^\d+$/.test(f.timeoutSeconds.trim()) ? Number(f.timeoutSeconds.trim()) : Number.NaN,
  };
}

/** What is wrong with the request, as one line per problem (the back end checks it again). */
export function siteOperationIssues(raw: unknown): string[] {
  const r = siteOperationInputSchema.safeParse(raw);
  if (r.success) return (r.data.nodes?.length ?? 1) === 0 ? ['choose at least one node'] : [];
  return r.error.issues.map((i) => i.message);
}

/**
 * The settings document: the one description of a node's installation that the wizard, the CLI,
 * the settings bundle and spc.cfg all map to. Secrets may be given inline or as a reference to a
 * file or an environment variable; plans and journals only ever hold their names.
 */
import { z } from 'zod';
import { formatIp, networkOf, parseCidr, parseIp } from './ip.js';
import { isUncPath, isWithin, nestedPaths, nestingMessage, pathProblem, type NamedPath } from './path-rules.js';
import { REPOSITORY_DATABASE } from './repository-database.js';

export const MAX_NODES = 8;
export const CONNECTIONS_PER_NODE = REPOSITORY_DATABASE.connectionsPerNode;

/**
 * Whether the repository database connection uses SSL (settings, bundle and step parameters):
 * `require` encrypts (the vendor's `Ssl Mode=Require`), `verify-full` also checks the server's
 * certificate against the site CA and the host name.
 */
export const DATABASE_SSL = ['disable', 'require', 'verify-full'] as const;
export type DatabaseSsl = (typeof DATABASE_SSL)[number];

/** A PEM certificate as text (a CA carried by a bundle or given in the settings). */
export const pemCertificateSchema = z
  .string()
  .regex(/^-----BEGIN CERTIFICATE-----\r?\n[\s\S]+?-----END CERTIFICATE-----\s*$/, 'not a PEM certificate (-----BEGIN CERTIFICATE----- ...)');

/** A secret given inline, or read at apply time from a file or an environment variable. */
export const secretSchema = z.union([
  z.string(),
  z.object({ file: z.string().min(1, 'a file path is required') }).strict(),
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not a valid environment variable name') }).strict(),
]);
export type Secret = z.infer<typeof secretSchema>;

/** The names under which secrets are referred to in plans and journals. */
export const SECRET_NAMES = ['database.password', 'database.superuserPassword', 'serviceAccount.password', 'cluster.siteKey', 'licence.key'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

const hostnameRegex = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for an IPv4 or IPv6 CIDR such as 10.0.0.0/24 or ::/0 (the prefix length is required). */
export function isCidr(value: string): boolean {
  return value.includes('/') && parseCidr(value) !== undefined;
}

/** True for a host name or an IP address. */
export function isHost(value: string): boolean {
  return hostnameRegex.test(value) || parseIp(value) !== undefined;
}

/** What is wrong with a text that is not a CIDR range, with an example of one that is. */
export function cidrProblem(value: string): string | undefined {
  if (isCidr(value)) return undefined;
  const [address = '', bits] = value.split('/');
  const ip = parseIp(address);
  if (ip !== undefined && bits === undefined) {
    return `${value} is one address, not a range: write ${value}/${ip.v === 4 ? 32 : 128} for that address alone, or its subnet such as ${ip.v === 4 ? '10.0.0.0/24' : 'fd00::/64'}`;
  }
  if (ip !== undefined && value.split('/').length === 2) {
    const max = ip.v === 4 ? 32 : 128;
    return `${value}: the prefix length after the / must be 0 to ${max} for an ${ip.v === 4 ? 'IPv4' : 'IPv6'} address, such as ${ip.v === 4 ? '10.0.0.0/24' : 'fd00::/64'}`;
  }
  return `${value} is not an IP range: write an address and a prefix length, such as 10.0.0.0/24 (a subnet) or 10.0.0.5/32 (one address)`;
}

/** A range with host bits set (10.0.0.1/24) names no network: say which one was meant. */
const cidrRange = z.string().superRefine((value, ctx) => {
  const problem = cidrProblem(value);
  if (problem !== undefined) {
    ctx.addIssue({ code: 'custom', message: problem });
    return;
  }
  const network = networkOf(value);
  if (network !== undefined && network !== formatCidr(value)) {
    const single = `${value.split('/')[0]}/${value.includes(':') ? 128 : 32}`;
    ctx.addIssue({ code: 'custom', message: `${value} has host bits set: write the network ${network}, or ${single} for that one address` });
  }
});

function formatCidr(value: string): string {
  const c = parseCidr(value)!;
  return `${formatIp(c.ip)}/${c.bits}`;
}

/** A listen address as postgresql.conf takes it: *, a host name or an IP address. */
const listenAddress = z
  .string()
  .trim()
  .min(1, 'a listen address is required')
  .refine((v) => v === '*' || isHost(v), { message: 'not a listen address: give *, a host name or an IP address' });

const port = z.number().int().min(1, 'a port is 1..65535').max(65535, 'a port is 1..65535');
const nonEmpty = (what: string) => z.string().trim().min(1, `${what} is required`);

export const listenerSchema = z
  .object({
    listenAddresses: z.array(listenAddress).min(1, 'at least one listen address is required'),
    ipRanges: z.array(cidrRange).min(1, 'at least one IP range is required'),
    maxConnections: z.number().int().min(10).max(10000),
  })
  .strict();
export type Listener = z.infer<typeof listenerSchema>;

const settingsObject = z
  .object({
    product: z.enum(['reference', 'qlik-sense']),
    cluster: z
      .object({
        mode: z.enum(['create', 'join']),
        id: z.string().optional(),
        /** The site key of the cluster (a joining node; the bundle carries it). The central node makes one. */
        siteKey: secretSchema.optional(),
      })
      .strict(),
    database: z
      .object({
        install: z.enum(['local', 'existing']),
        host: nonEmpty('database host').refine(isHost, { message: 'not a host name or IP address' }),
        port: port.default(REPOSITORY_DATABASE.port),
        name: nonEmpty('database name').default(REPOSITORY_DATABASE.name),
        user: nonEmpty('database user').default(REPOSITORY_DATABASE.ownerRole),
        password: secretSchema,
        passwordConfirm: z.string().optional(),
        superuser: nonEmpty('database superuser').default('postgres'),
        superuserPassword: secretSchema.optional(),
        superuserPasswordConfirm: z.string().optional(),
        listener: listenerSchema.optional(),
        ssl: z.enum(DATABASE_SSL).default('disable'),
        /**
         * The method of the pg_hba rules spsetup writes for the repository role: scram-sha-256, or
         * the guide's md5 where the administrator asks for it (a new password is then stored as
         * md5; one already stored as SCRAM-SHA-256 is kept, which md5 rules accept).
         */
        authMethod: z.enum(['scram-sha-256', 'md5']).default('scram-sha-256'),
        /** With authMethod md5: store the role's password as SCRAM-SHA-256 all the same (md5 rules accept it, with SCRAM's exchange). */
        scramPassword: z.boolean().optional(),
        /**
         * Certificates for SSL. `certFile`/`keyFile`: the server's own (the product's exported
         * server.pem / server_key.pem, or the administrator's), checked before use; without them
         * spsetup makes a site CA and a server certificate. `caFile`: the CA that verify-full
         * clients trust (a dedicated server's `<stateDir>/tls/ca.pem`). `names`: more host names
         * or addresses the server certificate must carry besides database.host. `ca`: the same CA
         * as PEM text, as a settings bundle carries it to a joining node (written to the node's
         * data folder by the plan; give caFile or ca, not both).
         */
        tls: z
          .object({
            certFile: z.string().min(1).optional(),
            keyFile: z.string().min(1).optional(),
            caFile: z.string().min(1).optional(),
            ca: pemCertificateSchema.optional(),
            names: z.array(z.string().refine(isHost, { message: 'not a host name or IP address' })).optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
    share: z
      .object({
        root: nonEmpty('share root folder'),
        apps: z.string().optional(),
        archivedLogs: z.string().optional(),
        customData: z.string().optional(),
        staticContent: z.string().optional(),
        /** Windows only: the share lives on this node; spsetup shares this drive folder as `root` (\\<hostname>\<name>). */
        local: z
          .object({
            path: z.string().trim().regex(/^[A-Za-z]:\\(?:[^<>:"|?*\u0000-\u001f]*)$/, 'not a drive path such as C:\\QlikShare'),
            encrypt: z.boolean().default(false),
          })
          .strict()
          .optional(),
      })
      .strict(),
    installDir: z.string().optional(),
    dataDir: z.string().optional(),
    serviceAccount: z
      .object({
        user: nonEmpty('service account user'),
        password: secretSchema.optional(),
        passwordConfirm: z.string().optional(),
        isAdministrator: z.boolean().default(false),
      })
      .strict(),
    hostname: nonEmpty('host name').refine(isHost, { message: 'not a valid host name' }),
    startServices: z.boolean().default(true),
    /** The site licence (a signed licence key), applied on the central node through the repository API (the guide: apply the site licence). */
    licence: z.object({ key: secretSchema }).strict().optional(),
    plannedNodes: z.number().int().min(1, 'at least 1 node').max(MAX_NODES, `shared persistence supports at most ${MAX_NODES} nodes`),
    services: z
      .object({
        manager: z.enum(['auto', 'runit', 'systemd', 'windows']).default('auto'),
        runitDir: z.string().optional(),
      })
      .strict()
      .default({ manager: 'auto' }),
    stateDir: z.string().optional(),
  })
  .strict();

export const settingsSchema = settingsObject.superRefine((s, ctx) => {
    for (const issue of valueIssues(s)) ctx.addIssue({ code: 'custom', ...issue });
    if (s.database.install === 'local' && s.cluster.mode === 'join') {
      ctx.addIssue({ code: 'custom', path: ['database', 'install'], message: 'a joining node uses the existing cluster database, not a local one' });
    }
    if (s.database.install === 'local' && s.database.superuserPassword === undefined) {
      ctx.addIssue({ code: 'custom', path: ['database', 'superuserPassword'], message: 'a local database needs a superuser password' });
    }
    if (s.database.scramPassword !== undefined && s.database.authMethod !== 'md5') {
      ctx.addIssue({ code: 'custom', path: ['database', 'scramPassword'], message: 'scramPassword is for authMethod "md5" (with scram-sha-256 the password is always stored as SCRAM-SHA-256)' });
    }
    const tls = s.database.tls;
    if (tls && (tls.certFile === undefined) !== (tls.keyFile === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['database', 'tls', tls.certFile === undefined ? 'certFile' : 'keyFile'], message: 'a server certificate and its key go together: give both certFile and keyFile' });
    }
    if (tls?.caFile !== undefined && tls.ca !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['database', 'tls', 'ca'], message: 'the CA is given twice: give caFile or ca, not both' });
    }
    if (tls && s.database.ssl === 'disable') {
      ctx.addIssue({ code: 'custom', path: ['database', 'tls'], message: 'certificates were given but database.ssl is "disable": set it to "require" or "verify-full"' });
    }
    if (s.database.listener && s.database.listener.maxConnections < CONNECTIONS_PER_NODE * s.plannedNodes) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'listener', 'maxConnections'],
        message: `max connections must be at least ${CONNECTIONS_PER_NODE} x planned nodes (${CONNECTIONS_PER_NODE * s.plannedNodes})`,
      });
    }
    if (s.share.local) {
      // The other nodes reach the local folder as \\<this host>\<share name>.
      const unc = /^\\\\([^\\/]+)\\([^\\/"[\]:|<>+=;,?*]{1,80})\\?$/.exec(s.share.root);
      const host = s.hostname.toLowerCase();
      const names = ipv4.test(host) ? [host] : [host, host.split('.')[0]];
      if (!unc || !names.includes(unc[1]!.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: ['share', 'root'], message: `a share on this node must be the root as \\\\${s.hostname}\\<share name>` });
      }
    }
    for (const [path, secret, confirm] of [
      [['database', 'passwordConfirm'], s.database.password, s.database.passwordConfirm],
      [['database', 'superuserPasswordConfirm'], s.database.superuserPassword, s.database.superuserPasswordConfirm],
      [['serviceAccount', 'passwordConfirm'], s.serviceAccount.password, s.serviceAccount.passwordConfirm],
    ] as const) {
      if (confirm !== undefined && typeof secret === 'string' && secret !== confirm) {
        ctx.addIssue({ code: 'custom', path: [...path], message: 'the confirmation does not match the password' });
      }
    }
  });

/** Characters that end a line or a C string: in a value they would cut a file or a command line short. */
const CONTROL = /[\u0000\r\n]/;
/** Fields whose value is a whole file's text (a PEM certificate), so lines are theirs: only NUL is refused. */
const MULTILINE = new Set(['database.tls.ca']);

/** The folders a settings document names, with their fields (the share's folders are one group). */
export function settingsFolders(s: z.output<typeof settingsObject>): NamedPath[] {
  const share: NamedPath[] = (['root', 'apps', 'archivedLogs', 'customData', 'staticContent'] as const).flatMap((k) =>
    s.share[k] === undefined ? [] : [{ field: `share.${k}`, path: s.share[k], group: 'share' }],
  );
  if (s.share.local) share.push({ field: 'share.local.path', path: s.share.local.path, group: 'share' });
  const own = (['installDir', 'dataDir', 'stateDir'] as const).flatMap((k) => (s[k] === undefined ? [] : [{ field: k, path: s[k] }]));
  const runit = s.services.runitDir === undefined ? [] : [{ field: 'services.runitDir', path: s.services.runitDir }];
  return [...own, ...runit, ...share];
}

/** Issues no single field can see: control characters anywhere, relative or `..` paths, folders inside each other. */
function valueIssues(s: z.output<typeof settingsObject>): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  const walk = (value: unknown, path: string[]): void => {
    if (typeof value === 'string') {
      if ((MULTILINE.has(path.join('.')) ? /\u0000/ : CONTROL).test(value)) issues.push({ path, message: 'contains a line break or NUL character, which cannot be written to a file or command line: remove it' });
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    }
  };
  walk(s, []);
  const folders = settingsFolders(s);
  for (const f of folders) {
    const problem = pathProblem(f.path);
    if (problem) issues.push({ path: f.field.split('.'), message: problem });
  }
  for (const pair of nestedPaths(folders)) issues.push({ path: pair[0].field.split('.'), message: nestingMessage(pair) });
  // The share step re-owns these folders for the service account: one outside the root (such as
  // /etc/cron.d, from a bundle or spc.cfg) would hand a system folder to that account. A separate
  // network share (\\server\QlikApps, which the guide allows) is not a local folder to re-own.
  for (const k of ['apps', 'archivedLogs', 'customData', 'staticContent'] as const) {
    const sub = s.share[k];
    const refusedAlready = issues.some((i) => i.path.join('.') === `share.${k}`);
    if (sub === undefined || refusedAlready || isUncPath(sub)) continue;
    if (!isWithin(sub, s.share.root) || isWithin(s.share.root, sub)) {
      issues.push({ path: ['share', k], message: `must lie inside the share root ${s.share.root} (spsetup gives these folders to the service account)` });
    }
  }
  return issues;
}

/** Settings as written by a person or a tool, before defaults. */
export type SettingsInput = z.input<typeof settingsSchema>;
/** Settings after validation and zod defaults. */
export type Settings = z.output<typeof settingsSchema>;

/** The share sub folders, derived from the root unless given. */
export interface ShareFolders {
  readonly root: string;
  readonly apps: string;
  readonly archivedLogs: string;
  readonly customData: string;
  readonly staticContent: string;
}

export type Platform = 'linux' | 'win32';

/** Joins path segments with the separator of the target platform (shared may not import node:path). */
export function joinPath(platform: Platform, ...parts: readonly string[]): string {
  const sep = platform === 'win32' ? '\\' : '/';
  return parts
    .map((p, i) => (i === 0 ? p.replace(/[\\/]+$/, '') : p.replace(/^[\\/]+|[\\/]+$/g, '')))
    .filter((p, i) => i === 0 || p.length > 0)
    .join(sep);
}

/** The share folders, with each sub folder derived from the root unless given. */
export function shareFolders(share: Settings['share'], platform: Platform): ShareFolders {
  return {
    root: share.root,
    apps: share.apps ?? joinPath(platform, share.root, 'Apps'),
    archivedLogs: share.archivedLogs ?? joinPath(platform, share.root, 'ArchivedLogs'),
    customData: share.customData ?? joinPath(platform, share.root, 'CustomData'),
    staticContent: share.staticContent ?? joinPath(platform, share.root, 'StaticContent'),
  };
}

/** Platform default locations (the guide's %ProgramFiles%\Qlik\Sense and %ProgramData%\Qlik\Sense). */
export function defaultPaths(platform: Platform, productDir: string): { installDir: string; dataDir: string; stateDir: string } {
  if (platform === 'win32') {
    return {
      installDir: `C:\\Program Files\\${productDir}`,
      dataDir: `C:\\ProgramData\\${productDir}`,
      stateDir: `C:\\ProgramData\\spsetup`,
    };
  }
  const slug = productDir.toLowerCase().replace(/[\\/ ]+/g, '-');
  return { installDir: `/opt/${slug}`, dataDir: `/var/lib/${slug}`, stateDir: '/var/lib/spsetup' };
}

/** Validates a settings document; on failure returns issues with their field paths. */
export function parseSettings(raw: unknown): { ok: true; settings: Settings } | { ok: false; issues: readonly FieldIssue[] } {
  const result = settingsSchema.safeParse(raw);
  if (result.success) return { ok: true, settings: result.data };
  return { ok: false, issues: result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) };
}

export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

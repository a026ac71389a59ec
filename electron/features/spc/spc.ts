/**
 * The vendor's shared persistence configuration file (spc.cfg, XML) to and from our settings.
 *
 * Writing escapes every special character and refuses characters XML 1.0 cannot hold. Reading is
 * strict (see xml-reader.ts): a malformed file, a duplicate element, a bad value or contradicting
 * flags are errors naming the line; an element spsetup does not use (HttpPortNumber, the logging
 * database settings of other releases, or anything unknown) is a warning, returned beside the
 * result, and is ignored. A missing CreateCluster or JoinCluster means false, as in the vendor's
 * own examples, which write only the one that is true.
 *
 * Share sub folders: the file always names all of them. On reading, a sub folder equal to the
 * default derived from RootDir (RootDir\Apps, ...) is left implicit, so settings that name only the
 * root come back identical.
 */
import { UserError } from '../../shared/errors.js';
import { isCidr, isHost, joinPath, listenerSchema } from '../../shared/settings.js';
import type { Listener, Platform, Settings, SettingsInput } from '../../shared/settings.js';
import { escapeXmlText, findInvalidXmlChar } from '../../shared/xml-text.js';
import { readFlatXml } from './xml-reader.js';
import type { FlatXmlElement } from './xml-reader.js';

export const SPC_ROOT = 'SharedPersistenceConfiguration';
const NAMESPACES = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"';
/** The pool size the vendor's connection string uses by default. */
export const DEFAULT_POOL_SIZE = 90;
const POOL_RANGE = { min: 90, max: 1000 } as const;

/** Element names in the order the vendor's tools write them. */
const ELEMENTS = [
  'DbUserName',
  'DbUserPassword',
  'DbHost',
  'DbPort',
  'RootDir',
  'StaticContentRootDir',
  'CustomDataRootDir',
  'ArchivedLogsDir',
  'AppsDir',
  'CreateCluster',
  'JoinCluster',
  'InstallLocalDb',
  'ConfigureDbListener',
  'ListenAddresses',
  'IpRange',
  'MaxConnections',
  'DbMaximumConnectionPoolSize',
] as const;
type SpcElement = (typeof ELEMENTS)[number];

const SUB_FOLDERS = [
  ['apps', 'AppsDir', 'Apps'],
  ['staticContent', 'StaticContentRootDir', 'StaticContent'],
  ['archivedLogs', 'ArchivedLogsDir', 'ArchivedLogs'],
  ['customData', 'CustomDataRootDir', 'CustomData'],
] as const;

/** What spc.cfg holds, in settings terms. */
export interface SpcSettings {
  readonly cluster: { readonly mode: 'create' | 'join' };
  readonly database: {
    readonly install: 'local' | 'existing';
    readonly host: string;
    readonly port?: number;
    readonly user: string;
    /** Absent when the file has no DbUserPassword (a warning says so). */
    readonly password?: string;
    readonly listener?: Listener;
  };
  readonly share: Settings['share'];
}

export interface SpcImport {
  readonly settings: SpcSettings;
  /** DbMaximumConnectionPoolSize, when the file gives it. */
  readonly poolSize?: number;
  readonly warnings: readonly string[];
}

export interface SpcWriteOptions {
  /** DbMaximumConnectionPoolSize, 90..1000 (default 90). */
  readonly poolSize?: number;
}

/** Writes spc.cfg (CRLF line ends and an XML declaration, as the vendor's tools do). */
export function settingsToSpc(settings: Settings, plainPassword: string, options: SpcWriteOptions = {}): string {
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < POOL_RANGE.min || poolSize > POOL_RANGE.max) {
    throw new UserError('invalid-input', `The connection pool size must be ${POOL_RANGE.min}..${POOL_RANGE.max}, not ${poolSize}.`, 'Give a pool size in that range.');
  }
  const platform = platformOfRoot(settings.share.root);
  const listener = settings.database.listener;
  const values: Partial<Record<SpcElement, string>> = {
    DbUserName: settings.database.user,
    DbUserPassword: plainPassword,
    DbHost: settings.database.host,
    DbPort: String(settings.database.port),
    RootDir: settings.share.root,
    CreateCluster: String(settings.cluster.mode === 'create'),
    JoinCluster: String(settings.cluster.mode === 'join'),
    InstallLocalDb: String(settings.database.install === 'local'),
    ConfigureDbListener: String(listener !== undefined),
    ...(listener
      ? { ListenAddresses: listener.listenAddresses.join(','), IpRange: listener.ipRanges.join(','), MaxConnections: String(listener.maxConnections) }
      : {}),
    DbMaximumConnectionPoolSize: String(poolSize),
  };
  for (const [key, element, folder] of SUB_FOLDERS) values[element] = settings.share[key] ?? joinPath(platform, settings.share.root, folder);

  const lines = ['<?xml version="1.0" encoding="utf-8"?>', `<${SPC_ROOT} ${NAMESPACES}>`];
  for (const element of ELEMENTS) {
    const value = values[element];
    if (value === undefined) continue;
    const bad = findInvalidXmlChar(value);
    if (bad !== -1) {
      // Never show the value: it may be the password.
      throw new UserError('invalid-input', `${describeElement(element)} holds a character that an XML file cannot hold (at position ${bad + 1}).`, 'Remove control characters from that value.');
    }
    lines.push(`  <${element}>${escapeXmlText(value)}</${element}>`);
  }
  lines.push(`</${SPC_ROOT}>`, '');
  return lines.join('\r\n');
}

/** Reads spc.cfg strictly; `source` names the file in messages. */
export function spcToSettings(xml: string, source = 'spc.cfg'): SpcImport {
  const doc = readFlatXml(xml, source, { secretElements: ['DbUserPassword'] });
  const warnings: string[] = [];
  const at = (e: { line: number; column: number }) => `${source}, line ${e.line}, column ${e.column}`;
  const fail = (e: { line: number; column: number }, message: string) =>
    new UserError('invalid-input', `${at(e)}: ${message}.`, 'Correct the file and try again.', { line: e.line, column: e.column });

  if (doc.root.name !== SPC_ROOT) throw fail(doc.root, `the root element is <${doc.root.name}>, expected <${SPC_ROOT}>`);
  for (const [name, value] of doc.root.attributes) {
    if (name === 'xmlns') throw fail(doc.root, `a default namespace (xmlns="${value}") is not part of the spc.cfg format`);
    if (!name.startsWith('xmlns:')) throw fail(doc.root, `the attribute "${name}" is not part of the spc.cfg format`);
  }

  const found = new Map<SpcElement, FlatXmlElement>();
  for (const child of doc.children) {
    const known = (ELEMENTS as readonly string[]).includes(child.name) ? (child.name as SpcElement) : undefined;
    if (known === undefined) {
      warnings.push(`${at(child)}: <${child.name}> is not used by spsetup and was ignored.`);
      continue;
    }
    const first = found.get(known);
    if (first) throw fail(child, `<${child.name}> appears a second time (first on line ${first.line})`);
    found.set(known, child);
  }

  const text = (name: SpcElement): string | undefined => {
    const v = found.get(name)?.text.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const required = (name: SpcElement): string => {
    const v = text(name);
    if (v === undefined) {
      const el = found.get(name);
      throw el ? fail(el, `<${name}> is empty`) : fail(doc.root, `<${name}> is missing`);
    }
    return v;
  };
  const integer = (name: SpcElement, min: number, max: number): number | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    const el = found.get(name) as FlatXmlElement;
    if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) throw fail(el, `<${name}> must be a whole number from ${min} to ${max}, not "${v}"`);
    return Number(v);
  };
  const flag = (name: SpcElement): boolean => {
    const v = text(name);
    if (v === undefined) return false;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw fail(found.get(name) as FlatXmlElement, `<${name}> must be true or false, not "${v}"`);
  };
  const list = (name: SpcElement): string[] => {
    const items = required(name).split(',').map((s) => s.trim());
    if (items.some((s) => s === '')) throw fail(found.get(name) as FlatXmlElement, `<${name}> has an empty item in its comma list`);
    return items;
  };

  const create = flag('CreateCluster');
  const join = flag('JoinCluster');
  if (create === join) {
    const el = found.get('JoinCluster') ?? found.get('CreateCluster') ?? doc.root;
    throw fail(el, create ? 'CreateCluster and JoinCluster are both true; set only one of them' : 'one of CreateCluster and JoinCluster must be true');
  }
  const installLocal = flag('InstallLocalDb');
  if (installLocal && join) throw fail(found.get('InstallLocalDb') as FlatXmlElement, 'InstallLocalDb is true, but a node that joins a cluster uses the cluster database');

  const host = required('DbHost');
  if (!isHost(host)) throw fail(found.get('DbHost') as FlatXmlElement, `"${host}" is not a host name or IP address`);
  const port = integer('DbPort', 1, 65535);
  const user = required('DbUserName');
  const passwordEl = found.get('DbUserPassword');
  if (!passwordEl) warnings.push(`${at(doc.root)}: <DbUserPassword> is missing; give the database password in the settings.`);
  else if (passwordEl.text === '') warnings.push(`${at(passwordEl)}: <DbUserPassword> is empty.`);
  else if (passwordEl.text.trim() !== passwordEl.text) warnings.push(`${at(passwordEl)}: <DbUserPassword> starts or ends with white space, which is kept as part of the password.`);

  const listener = readListener();
  const poolSize = integer('DbMaximumConnectionPoolSize', POOL_RANGE.min, POOL_RANGE.max);

  const root = required('RootDir');
  const platform = platformOfRoot(root);
  const share: { -readonly [K in keyof Settings['share']]: Settings['share'][K] } = { root };
  for (const [key, element, folder] of SUB_FOLDERS) {
    const v = text(element);
    if (v !== undefined && v !== joinPath(platform, root, folder)) share[key] = v;
  }

  const settings: SpcSettings = {
    cluster: { mode: create ? 'create' : 'join' },
    database: {
      install: installLocal ? 'local' : 'existing',
      host,
      ...(port !== undefined ? { port } : {}),
      user,
      ...(passwordEl ? { password: passwordEl.text } : {}),
      ...(listener ? { listener } : {}),
    },
    share,
  };
  return { settings, ...(poolSize !== undefined ? { poolSize } : {}), warnings };

  function readListener(): Listener | undefined {
    const listenerElements = ['ListenAddresses', 'IpRange', 'MaxConnections'] as const;
    if (!flag('ConfigureDbListener')) {
      for (const name of listenerElements) {
        const el = found.get(name);
        if (el) warnings.push(`${at(el)}: <${name}> was ignored because ConfigureDbListener is not true.`);
      }
      return undefined;
    }
    const el = found.get('ConfigureDbListener') as FlatXmlElement;
    for (const name of listenerElements) if (text(name) === undefined) throw fail(el, `ConfigureDbListener is true but <${name}> is ${found.has(name) ? 'empty' : 'missing'}`);
    const ipRanges = list('IpRange');
    const badRange = ipRanges.find((r) => !isCidr(r));
    if (badRange !== undefined) throw fail(found.get('IpRange') as FlatXmlElement, `"${badRange}" is not a CIDR range such as 10.0.0.0/24`);
    const candidate = { listenAddresses: list('ListenAddresses'), ipRanges, maxConnections: integer('MaxConnections', 1, 1_000_000) };
    const parsed = listenerSchema.safeParse(candidate);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const name = issue?.path[0] === 'maxConnections' ? 'MaxConnections' : issue?.path[0] === 'ipRanges' ? 'IpRange' : 'ListenAddresses';
      throw fail(found.get(name) ?? el, `<${name}>: ${issue?.message ?? 'not valid'}`);
    }
    return parsed.data;
  }
}

/** Puts what spc.cfg says into a settings document, keeping what spc.cfg cannot hold (cluster id, product, node...). */
export function mergeSpcSettings(base: SettingsInput, spc: SpcSettings): SettingsInput {
  const { listener: _oldListener, ...database } = base.database;
  return {
    ...base,
    cluster: { ...base.cluster, mode: spc.cluster.mode },
    database: {
      ...database,
      install: spc.database.install,
      host: spc.database.host,
      ...(spc.database.port !== undefined ? { port: spc.database.port } : {}),
      user: spc.database.user,
      ...(spc.database.password !== undefined ? { password: spc.database.password } : {}),
      ...(spc.database.listener ? { listener: spc.database.listener } : {}),
    },
    share: { ...spc.share },
  };
}

/** Guesses the platform of a share path: a UNC path, drive letter or backslash means Windows. */
function platformOfRoot(root: string): Platform {
  return /^\\\\|^[A-Za-z]:|\\/.test(root) ? 'win32' : 'linux';
}

function describeElement(element: SpcElement): string {
  return element === 'DbUserPassword' ? 'The database password' : `The value for <${element}>`;
}

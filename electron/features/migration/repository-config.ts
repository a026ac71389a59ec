/**
 * The repository configuration of a node, in the vendor's .NET app.config form
 * (Repository.exe.config): the SharedPersistence and Release app settings, the share folders the
 * ServiceClusterTool writes, and the repository connection string. Attribute values are XML
 * escaped, so a password read back must be decoded (the guide's `I^!?0&amp;163j` warning).
 *
 * Release and persistence tell the guide's scenarios apart:
 *   SharedPersistence=false, Release <  product version  -> synchronized persistence, older release
 *   SharedPersistence=false, Release == product version  -> synchronized persistence, current release
 *   SharedPersistence=true,  Release <  product version  -> an older shared persistence
 */
import { decodeXmlEscapes, escapeXmlText } from '../../shared/xml-text.js';

/** Where the file lives, relative to installDir, when the manifest does not say. */
export const DEFAULT_REPOSITORY_CONFIG_FILE = 'Repository/Repository.exe.config';
/** The connectionStrings entry holding the repository connection string. */
export const CONNECTION_STRING_NAME = 'QSR';

export interface RepositoryConfig {
  readonly sharedPersistence: boolean;
  readonly release: string;
  /** Decoded connection string (may hold the password: never log it). */
  readonly connectionString: string;
  /** App settings as written (decoded), including the share folders when set. */
  readonly appSettings: Readonly<Record<string, string>>;
}

const ATTR = /([A-Za-z_:][\w:.-]*)\s*=\s*"([^"]*)"/g;

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(ATTR)) out[m[1]!] = decodeXmlEscapes(m[2]!);
  return out;
}

function section(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m?.[1];
}

/** Reads the file's text; undefined when it is not a repository configuration (no reason given here). */
export function parseRepositoryConfig(xml: string): RepositoryConfig | undefined {
  if (!/<configuration>/.test(xml)) return undefined;
  const appSettings: Record<string, string> = {};
  for (const m of (section(xml, 'appSettings') ?? '').matchAll(/<add\s[^>]*\/>/g)) {
    const a = attributes(m[0]);
    if (a['key'] !== undefined) appSettings[a['key']] = a['value'] ?? '';
  }
  let connectionString: string | undefined;
  for (const m of (section(xml, 'connectionStrings') ?? '').matchAll(/<add\s[^>]*\/>/g)) {
    const a = attributes(m[0]);
    if (a['name'] === CONNECTION_STRING_NAME) connectionString = a['connectionString'];
  }
  const shared = appSettings['SharedPersistence'];
  const release = appSettings['Release'];
  if (connectionString === undefined || (shared !== 'true' && shared !== 'false') || !release) return undefined;
  return { sharedPersistence: shared === 'true', release, connectionString, appSettings };
}

/** The file's text for these settings (values escaped). */
export function renderRepositoryConfig(config: RepositoryConfig): string {
  const settings = { ...config.appSettings, SharedPersistence: String(config.sharedPersistence), Release: config.release };
  const adds = Object.entries(settings)
    .map(([k, v]) => `    <add key="${escapeXmlText(k)}" value="${escapeXmlText(v)}" />`)
    .join('\n');
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<configuration>',
    '  <appSettings>',
    adds,
    '  </appSettings>',
    '  <connectionStrings>',
    `    <add name="${CONNECTION_STRING_NAME}" connectionString="${escapeXmlText(config.connectionString)}" />`,
    '  </connectionStrings>',
    '</configuration>',
    '',
  ].join('\n');
}

/** Compares dotted release numbers: negative when a < b. */
export function compareReleases(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

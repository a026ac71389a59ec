/** `spsetup bundle export | inspect`, and the silent join from a bundle (`install --bundle`). */
import { ExitCode, UserError } from '../../shared/errors.js';
import { parseBundleExpiry } from '../../features/bundle/expiry.js';
import { maskBundleContents, settingsFromBundle, type BundleContents } from '../../features/bundle/contents.js';
import { openClusterBundle, readBundleCa, sealClusterBundle } from '../../features/bundle/cluster-bundle.js';
import { DEFAULT_BUNDLE_EXPIRY_MS, generatePassphrase } from '../../features/bundle/format.js';
import { assertPassphraseStrength } from '../../features/bundle/passphrase.js';
import { readBundleFile, readPassphraseFile, writeBundleFile, writeSecretTextFile } from '../../features/bundle/files.js';
import { loadSettingsFile, resolveSecret, resolveSecrets, validateSettings } from '../../features/installer/load-settings.js';
import { readStoredSiteKey } from '../../features/site/site-client.js';
import { composeContext } from '../../app/compose.js';
import { parseCommand, required } from '../args.js';
import { applyOverrides } from '../overrides.js';
import { installWithSettings } from './install.js';
import type { CommandIo } from './io.js';

async function exportBundle(argv: readonly string[], io: CommandIo): Promise<number> {
  const usage = 'spsetup bundle export --settings F --out B (--passphrase-file P | --generate-passphrase P) [--expires 24h|7d|none]';
  const { values } = parseCommand(argv, { settings: { type: 'string' }, out: { type: 'string' }, 'passphrase-file': { type: 'string' }, 'generate-passphrase': { type: 'string' }, expires: { type: 'string' } }, usage);
  const settings = await loadSettingsFile(required(values.settings, 'settings', usage));
  const out = required(values.out, 'out', usage);
  let passphrase: string;
  if (values['generate-passphrase']) {
    passphrase = generatePassphrase();
    await writeSecretTextFile(values['generate-passphrase'], `${passphrase}\n`);
    io.out(`A new passphrase was written to ${values['generate-passphrase']} (mode 0600). Give it to the rim nodes' administrators apart from the bundle.`);
  } else {
    passphrase = await readPassphraseFile(required(values['passphrase-file'], 'passphrase-file', usage));
    assertPassphraseStrength(passphrase);
  }
  const password = (await resolveSecrets(settings, io.env)).get('database.password') ?? '';
  const expiresInMs = values.expires ? parseBundleExpiry(values.expires) : DEFAULT_BUNDLE_EXPIRY_MS;
  const ctx = composeContext(settings, io.env);
  const siteKey = await readStoredSiteKey(settings, ctx);
  const caCert = await readBundleCa(settings, ctx);
  await writeBundleFile(out, await sealClusterBundle(settings, password, passphrase, expiresInMs, process.platform === 'win32' ? 'win32' : 'linux', { siteKey, caCert }));
  if (siteKey === undefined) io.out('Warning: this node has no site key yet (install the central node first, as an administrator): nodes joined with this bundle cannot take site operations.');
  const plannedNodes = settings.plannedNodes;
  io.out(`Wrote ${out} (mode 0600) for ${plannedNodes} planned node(s), ${expiresInMs === null ? 'never expiring' : `expiring ${new Date(Date.now() + expiresInMs).toISOString()}`}.`);
  io.out('On each rim node: spsetup install --bundle B --passphrase-file P --set hostname=NAME --set serviceAccount.user=USER --silent --log FILE');
  return ExitCode.ok;
}

async function openFromArgs(bundlePath: string, passphraseFile: string, product?: string): Promise<BundleContents> {
  return openClusterBundle(await readBundleFile(bundlePath), await readPassphraseFile(passphraseFile), product);
}

async function inspectBundle(argv: readonly string[], io: CommandIo): Promise<number> {
  const usage = 'spsetup bundle inspect B --passphrase-file P';
  const { values, positionals } = parseCommand(argv, { 'passphrase-file': { type: 'string' } }, usage);
  const path = positionals[0];
  if (!path) throw new UserError('invalid-input', 'Which bundle? Give its path.', `Usage: ${usage}`);
  io.out(JSON.stringify(maskBundleContents(await openFromArgs(path, required(values['passphrase-file'], 'passphrase-file', usage))), null, 2));
  return ExitCode.ok;
}

/** spsetup bundle export|inspect ... */
export async function bundleCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'export') return exportBundle(rest, io);
  if (sub === 'inspect') return inspectBundle(rest, io);
  throw new UserError('invalid-input', `Unknown bundle command "${sub ?? ''}".`, 'Use `spsetup bundle export` or `spsetup bundle inspect`.');
}

/** spsetup install --bundle B --passphrase-file P [--set k=v]... [--service-password-file F] [--silent] [--yes] [--log L] */
export async function installFromBundle(argv: readonly string[], io: CommandIo): Promise<number> {
  const usage = 'spsetup install --bundle B --passphrase-file P --set hostname=H --set serviceAccount.user=U [--set k=v]... [--service-password-file F] --silent [--log L]';
  const { values } = parseCommand(
    argv,
    {
      bundle: { type: 'string' },
      'passphrase-file': { type: 'string' },
      set: { type: 'string', multiple: true },
      'service-password-file': { type: 'string' },
      silent: { type: 'boolean' },
      yes: { type: 'boolean' },
      log: { type: 'string' },
    },
    usage,
  );
  const sets = values.set ?? [];
  const pick = (key: string) => sets.find((s) => s.startsWith(`${key}=`))?.slice(key.length + 1);
  const contents = await openFromArgs(required(values.bundle, 'bundle', usage), required(values['passphrase-file'], 'passphrase-file', usage), pick('product'));
  const hostname = pick('hostname');
  const user = pick('serviceAccount.user');
  if (!hostname || !user) throw new UserError('invalid-input', 'A join needs this node\'s host name and service account.', 'Add --set hostname=NAME --set serviceAccount.user=USER.');
  const servicePassword = values['service-password-file'] ? await resolveSecret('serviceAccount.password', { file: values['service-password-file'] }) : undefined;
  const base = settingsFromBundle(contents, { hostname, serviceAccount: { user, ...(servicePassword !== undefined ? { password: servicePassword } : {}) } });
  const settings = validateSettings(applyOverrides(base, sets), 'The settings from the bundle and --set');
  return installWithSettings(settings, { ...(values.log ? { log: values.log } : {}), yes: Boolean(values.yes), silent: Boolean(values.silent) }, io);
}

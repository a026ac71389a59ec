import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../../../../electron/shared/settings.js';
import { UserError } from '../../../../electron/shared/errors.js';
import { bundleContentsFromSettings, maskBundleContents, MASK, settingsFromBundle } from '../../../../electron/features/bundle/contents.js';
import { CENTRAL_PASSWORD, centralSettings } from './sample-settings.js';

const SOURCE = { clusterId: 'cluster-1', productVersion: '1.2.0', password: CENTRAL_PASSWORD, platform: 'win32' } as const;

describe('bundleContentsFromSettings', () => {
  it('takes what a rim node needs and nothing that belongs to the central node', () => {
    const contents = bundleContentsFromSettings(centralSettings(), SOURCE);
    expect(contents).toEqual({
      product: { id: 'reference', version: '1.2.0' },
      clusterId: 'cluster-1',
      plannedNodes: 3,
      database: { host: 'central.example.test', port: 4432, name: 'QSR', user: 'qliksenserepository', password: CENTRAL_PASSWORD, ssl: 'disable' },
      share: {
        root: '\\\\central\\QlikShare',
        apps: '\\\\central\\QlikApps',
        archivedLogs: '\\\\central\\QlikShare\\ArchivedLogs',
        customData: '\\\\central\\QlikShare\\CustomData',
        staticContent: '\\\\central\\QlikShare\\StaticContent',
      },
    });
    const text = JSON.stringify(contents);
    for (const local of ['SP_SUPERUSER_PASSWORD', 'qservice', 'superuser', 'listener']) expect(text).not.toContain(local);
  });

  it('carries the CA certificate only when SSL is on', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const ssl = centralSettings({ database: { ...centralSettings().database, ssl: 'require' } });
    expect(bundleContentsFromSettings(ssl, { ...SOURCE, caCert: ca }).database.caCert).toBe(ca);
    expect(() => bundleContentsFromSettings(centralSettings(), { ...SOURCE, caCert: ca })).toThrow(/does not use SSL/);
    expect(() => bundleContentsFromSettings(ssl, { ...SOURCE, caCert: 'not a certificate' })).toThrow(UserError);
  });
});

describe('a verify-full site\'s bundle', () => {
  it('hands its CA to the joining node\'s settings as database.tls.ca', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const central = centralSettings({ database: { ...centralSettings().database, ssl: 'verify-full' } });
    const input = settingsFromBundle(bundleContentsFromSettings(central, { ...SOURCE, caCert: ca }), { hostname: 'rim1.example.test', serviceAccount: { user: 'qservice' } });
    const settings = settingsSchema.parse(input);
    expect(settings.database.ssl).toBe('verify-full');
    expect(settings.database.tls).toEqual({ ca });
    // Without a CA in the bundle the settings name none (the node then needs database.tls.caFile).
    expect(settingsSchema.parse(settingsFromBundle(bundleContentsFromSettings(central, SOURCE), { hostname: 'rim1.example.test', serviceAccount: { user: 'qservice' } })).database.tls).toBeUndefined();
  });
});

describe('settingsFromBundle', () => {
  it('makes valid join settings with this node\'s own host name, account and install location', () => {
    const contents = bundleContentsFromSettings(centralSettings(), SOURCE);
    const input = settingsFromBundle(contents, {
      hostname: 'rim1.example.test',
      serviceAccount: { user: 'qservice', password: { env: 'SP_SERVICE_PASSWORD' } },
      installDir: '/opt/rim',
    });
    const settings = settingsSchema.parse(input);
    expect(settings.cluster).toEqual({ mode: 'join', id: 'cluster-1' });
    expect(settings.database).toMatchObject({ install: 'existing', host: 'central.example.test', port: 4432, password: CENTRAL_PASSWORD, ssl: 'disable' });
    expect(settings.database.listener).toBeUndefined();
    expect(settings.hostname).toBe('rim1.example.test');
    expect(settings.installDir).toBe('/opt/rim');
    expect(settings.plannedNodes).toBe(3);
    expect(settings.share).toEqual(contents.share);
  });
});

describe('maskBundleContents', () => {
  it('hides the password and keeps everything else', () => {
    const contents = bundleContentsFromSettings(centralSettings(), SOURCE);
    const masked = maskBundleContents(contents);
    expect(masked.database.password).toBe(MASK);
    expect(JSON.stringify(masked)).not.toContain(CENTRAL_PASSWORD);
    expect({ ...masked, database: { ...masked.database, password: CENTRAL_PASSWORD } }).toEqual(contents);
    expect(contents.database.password).toBe(CENTRAL_PASSWORD); // the original is untouched
  });
});

describe('the site key in a bundle (issue 14)', () => {
  const KEY = 'A'.repeat(21) + '_-' + 'b'.repeat(20);

  it('carries the central node\'s site key into the join settings, and masks it for display', () => {
    const contents = bundleContentsFromSettings(centralSettings(), { ...SOURCE, siteKey: `${KEY}\n` });
    expect(contents.siteKey).toBe(KEY);
    const join = settingsFromBundle(contents, { hostname: 'rim1.example.test', serviceAccount: { user: 'qservice' } });
    expect(join.cluster).toEqual({ mode: 'join', id: 'cluster-1', siteKey: KEY });
    expect(settingsSchema.parse(join).cluster.siteKey).toBe(KEY);
    const masked = maskBundleContents(contents);
    expect(masked.siteKey).toBe(MASK);
    expect(JSON.stringify(masked)).not.toContain(KEY);
  });

  it('a bundle without one (from an older central node) joins without one', () => {
    const contents = bundleContentsFromSettings(centralSettings(), SOURCE);
    expect('siteKey' in contents).toBe(false);
    expect(settingsFromBundle(contents, { hostname: 'rim1.example.test', serviceAccount: { user: 'qservice' } }).cluster).toEqual({ mode: 'join', id: 'cluster-1' });
    expect('siteKey' in maskBundleContents(contents)).toBe(false);
  });

  it('refuses a value that is not a site key, without echoing it', () => {
    let error: unknown;
    try {
      bundleContentsFromSettings(centralSettings(), { ...SOURCE, siteKey: 'not-a-key-Secret' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    expect(String((error as Error).message)).toMatch(/siteKey: not a site key/);
    expect(String((error as Error).message)).not.toContain('Secret');
  });
});

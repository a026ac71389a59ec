import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../../../../electron/shared/settings.js';
import type { SettingsInput } from '../../../../electron/shared/settings.js';
import { UserError } from '../../../../electron/shared/errors.js';
import { mergeSpcSettings, settingsToSpc, spcToSettings } from '../../../../electron/features/spc/spc.js';
import { decodeSpcBytes } from '../../../../electron/features/spc/spc-files.js';
import { CENTRAL_PASSWORD, centralInput, centralSettings } from '../bundle/sample-settings.js';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/spc/vendor-example.cfg', import.meta.url));

/** settings -> spc.cfg -> settings, merged back into the rest of the document. */
function roundTrip(input: SettingsInput, password: string) {
  const settings = settingsSchema.parse(input);
  const xml = settingsToSpc(settings, password);
  const imported = spcToSettings(xml);
  return { settings, xml, imported, back: settingsSchema.parse(mergeSpcSettings(settings, imported.settings)) };
}

function spcError(xml: string): UserError {
  try {
    spcToSettings(xml);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error('expected the file to be refused');
}

const VALID = [
  '<?xml version="1.0"?>',
  '<SharedPersistenceConfiguration xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">',
  '  <DbUserName>qliksenserepository</DbUserName>',
  '  <DbUserPassword>secret</DbUserPassword>',
  '  <DbHost>central</DbHost>',
  '  <RootDir>/srv/share</RootDir>',
  '  <CreateCluster>true</CreateCluster>',
  '</SharedPersistenceConfiguration>',
];
/** VALID with line `index` (0-based) replaced. */
const withLine = (index: number, line: string) => VALID.map((l, i) => (i === index ? line : l)).join('\n');

describe('settingsToSpc and spcToSettings', () => {
  it('round trips settings identically, including a password with & < > " \' and é ß 日本', () => {
    const { settings, xml, imported, back } = roundTrip(centralInput(), CENTRAL_PASSWORD);
    expect(back).toEqual(settings);
    expect(imported.settings.database.password).toBe(CENTRAL_PASSWORD);
    expect(imported.warnings).toEqual([]);
    expect(xml).toContain('<DbUserPassword>p&amp;ss&lt;w&gt;rd&quot;&apos;é ß 日本</DbUserPassword>');
  });

  it('round trips a joining node, a dedicated database, a Linux share and no listener', () => {
    const input = centralInput({
      cluster: { mode: 'join', id: 'x' },
      database: { install: 'existing', host: '10.250.0.5', port: 5433, name: 'QSR', user: 'repo', password: 'pw' },
      share: { root: '/srv/qlik' },
    });
    const { settings, xml, back } = roundTrip(input, 'pw');
    expect(back).toEqual(settings);
    expect(xml).toContain('<AppsDir>/srv/qlik/Apps</AppsDir>');
    expect(xml).toContain('<JoinCluster>true</JoinCluster>');
    expect(xml).toContain('<ConfigureDbListener>false</ConfigureDbListener>');
    expect(xml).not.toContain('ListenAddresses');
  });

  it('merging a file without a listener removes the listener and keeps what spc.cfg cannot hold', () => {
    const base = centralSettings();
    const imported = spcToSettings(withLine(6, '  <JoinCluster>true</JoinCluster>')).settings;
    const merged = settingsSchema.parse(mergeSpcSettings(base, imported));
    expect(merged.database.listener).toBeUndefined();
    expect(merged.database).toMatchObject({ install: 'existing', host: 'central', port: 4432, password: 'secret', superuser: 'postgres' });
    expect(merged.cluster).toEqual({ mode: 'join', id: base.cluster.id });
    expect(merged.share).toEqual({ root: '/srv/share' });
    expect(merged.hostname).toBe(base.hostname);
    expect(merged.serviceAccount).toEqual(base.serviceAccount);
  });

  it('keeps tabs, surrounding spaces, XML specials and astral characters in a password', () => {
    const password = ' a\tb c 😀 ]]> ';
    const { imported, xml, back } = roundTrip(centralInput(), password);
    expect(imported.settings.database.password).toBe(password);
    expect(back.database.password).toBe(password);
    expect(xml.split('\r\n').find((l) => l.includes('DbUserPassword'))).toBe('  <DbUserPassword> a&#x9;b c 😀 ]]&gt; </DbUserPassword>');
  });

  it('reads line ends in a password faithfully, and the settings then refuse it, naming the field', () => {
    const settings = settingsSchema.parse(centralInput());
    const imported = spcToSettings(settingsToSpc(settings, 'a\r\nb'));
    expect(imported.settings.database.password).toBe('a\r\nb');
    const r = settingsSchema.safeParse(mergeSpcSettings(settings, imported.settings));
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toContain('database.password: contains a line break or NUL character, which cannot be written to a file or command line: remove it');
  });

  it('writes the vendor layout: declaration, namespaces, CRLF, lowercase booleans', () => {
    const xml = settingsToSpc(centralSettings(), 'pw');
    const lines = xml.split('\r\n');
    expect(lines[0]).toBe('<?xml version="1.0" encoding="utf-8"?>');
    expect(lines[1]).toBe('<SharedPersistenceConfiguration xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">');
    expect(xml.replace(/\r\n/g, '')).not.toContain('\n');
    expect(lines).toContain('  <CreateCluster>true</CreateCluster>');
    expect(lines).toContain('  <InstallLocalDb>true</InstallLocalDb>');
    expect(lines).toContain('  <ListenAddresses>*</ListenAddresses>');
    expect(lines).toContain('  <IpRange>10.250.1.0/24,::/0</IpRange>');
    expect(lines).toContain('  <MaxConnections>300</MaxConnections>');
    expect(lines).toContain('  <DbMaximumConnectionPoolSize>90</DbMaximumConnectionPoolSize>');
    expect(lines).toContain('  <StaticContentRootDir>\\\\central\\QlikShare\\StaticContent</StaticContentRootDir>');
  });

  it('refuses a value XML cannot hold without showing the password', () => {
    const err = (() => {
      try {
        settingsToSpc(centralSettings(), 'abc\u0001secret');
      } catch (e) {
        return e as UserError;
      }
      throw new Error('expected a refusal');
    })();
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/database password holds a character/);
    expect(err.message).not.toContain('secret');
    expect(() => settingsToSpc(centralSettings(), 'pw', { poolSize: 50 })).toThrow(/90\.\.1000/);
  });
});

describe('spcToSettings on the vendor\'s files', () => {
  it('imports a hand-written file with a BOM, CRLF, declaration, comments and an element it does not use', () => {
    const text = decodeSpcBytes(readFileSync(FIXTURE), 'vendor-example.cfg');
    const { settings, poolSize, warnings } = spcToSettings(text, 'vendor-example.cfg');
    expect(settings).toEqual({
      cluster: { mode: 'join' },
      database: { install: 'existing', host: 'qlikcentral.corp.example', port: 4432, user: 'qliksenserepository', password: `Sommer&Sonne<2024>"Straße'` },
      share: { root: '\\\\qlikcentral\\QlikShare', apps: '\\\\qlikcentral\\QlikApps' },
    });
    expect(poolSize).toBe(90);
    expect(warnings).toEqual(['vendor-example.cfg, line 18, column 3: <HttpPortNumber> is not used by spsetup and was ignored.']);
  });

  it('imports the same file saved as UTF-16 by PowerShell\'s Out-File', () => {
    const text = decodeSpcBytes(readFileSync(FIXTURE), 'a');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/^\ufeff/, ''), 'utf16le')]);
    expect(spcToSettings(decodeSpcBytes(utf16, 'b')).settings.database.password).toBe(`Sommer&Sonne<2024>"Straße'`);
  });

  it('reads a listener, numeric character references, CDATA and self-closing empty elements', () => {
    const xml = [
      '<SharedPersistenceConfiguration>',
      '<DbUserName>repo</DbUserName><DbUserPassword><![CDATA[a<b&c]]>&#x65E5;&#26412;</DbUserPassword>',
      '<DbHost>db1</DbHost><DbPort> 5432 </DbPort><RootDir>C:\\Share</RootDir><CustomDataRootDir />',
      '<CreateCluster>1</CreateCluster><JoinCluster>false</JoinCluster><InstallLocalDb>true</InstallLocalDb>',
      '<ConfigureDbListener>true</ConfigureDbListener><ListenAddresses>*, 10.0.0.1</ListenAddresses>',
      '<IpRange>0.0.0.0/0,::/0</IpRange><MaxConnections>800</MaxConnections>',
      '</SharedPersistenceConfiguration>',
    ].join('\n');
    const { settings } = spcToSettings(xml);
    expect(settings.database).toEqual({
      install: 'local',
      host: 'db1',
      port: 5432,
      user: 'repo',
      password: 'a<b&c日本',
      listener: { listenAddresses: ['*', '10.0.0.1'], ipRanges: ['0.0.0.0/0', '::/0'], maxConnections: 800 },
    });
    expect(settings.share).toEqual({ root: 'C:\\Share' });
  });

  it('warns about a missing password and listener values that are ignored', () => {
    const xml = withLine(3, '  <ListenAddresses>*</ListenAddresses>');
    const { settings, warnings } = spcToSettings(xml);
    expect(settings.database.password).toBeUndefined();
    expect(warnings).toEqual([
      'spc.cfg, line 2, column 1: <DbUserPassword> is missing; give the database password in the settings.',
      'spc.cfg, line 4, column 3: <ListenAddresses> was ignored because ConfigureDbListener is not true.',
    ]);
  });
});

describe('spcToSettings refuses malformed files, naming the line', () => {
  it.each([
    ['an unknown entity', withLine(3, '  <DbUserPassword>a&nbsp;b</DbUserPassword>'), 4, /a reference in a secret value \(not shown\) is not a known entity/],
    ['a bare ampersand', withLine(4, '  <DbHost>a & b</DbHost>'), 5, /"&" must start an entity/],
    ['an unescaped <', withLine(3, '  <DbUserPassword>a<b</DbUserPassword>'), 4, /holds text only/],
    ['a mismatched closing tag', withLine(4, '  <DbHost>central</DbPort>'), 5, /<\/DbPort> does not match <DbHost>/],
    ['an unclosed element', VALID.slice(0, 6).join('\n') + '\n  <CreateCluster>true', 7, /<CreateCluster> is not closed/],
    ['an unclosed root', VALID.slice(0, 7).join('\n'), 7, /<SharedPersistenceConfiguration> is not closed/],
    ['a duplicate element', withLine(5, '  <DbHost>other</DbHost>'), 6, /<DbHost> appears a second time \(first on line 5\)/],
    ['text outside the root', VALID.join('\n') + '\ntrailing', 9, /only comments and white space may follow/],
    ['text before the root', 'junk\n' + VALID.slice(1).join('\n'), 1, /text is not allowed before the root/],
    ['text directly in the root', withLine(6, '  loose text'), 7, /text is not allowed directly inside/],
    ['a nested element', withLine(4, '  <DbHost><b>x</b></DbHost>'), 5, /holds text only/],
    ['an attribute on an element', withLine(4, '  <DbHost xsi:nil="true" />'), 5, /attributes are not allowed on <DbHost>/],
    ['a DOCTYPE', VALID[0] + '\n<!DOCTYPE x [<!ENTITY e "x">]>\n' + VALID.slice(1).join('\n'), 2, /DOCTYPE is not allowed/],
    ['a declaration not at the start', '\n' + VALID.join('\n'), 2, /declaration must be at the very start/],
    ['another root element', VALID.join('\n').replace(/SharedPersistenceConfiguration/g, 'Config'), 2, /root element is <Config>/],
    ['a control character', withLine(4, '  <DbHost>cen\u0001tral</DbHost>'), 5, /U\+0001 is not allowed/],
    ['a reference to a character XML forbids', withLine(4, '  <DbHost>&#0;</DbHost>'), 5, /&#0; names a character XML does not allow/],
    ['an unclosed comment', withLine(6, '  <!-- CreateCluster'), 7, /comment is not closed/],
    ['"--" inside a comment', withLine(6, '  <!-- a -- b -->'), 7, /"--" is not allowed inside a comment/],
    ['a boolean that is not true or false', withLine(6, '  <CreateCluster>yes</CreateCluster>'), 7, /must be true or false, not "yes"/],
    ['a port out of range', withLine(4, '  <DbHost>central</DbHost><DbPort>70000</DbPort>'), 5, /DbPort> must be a whole number from 1 to 65535/],
    ['both CreateCluster and JoinCluster', withLine(6, '  <CreateCluster>true</CreateCluster><JoinCluster>true</JoinCluster>'), 7, /both true/],
    ['neither CreateCluster nor JoinCluster', withLine(6, '  <CreateCluster>false</CreateCluster>'), 7, /one of CreateCluster and JoinCluster must be true/],
    ['a listener without IpRange', withLine(6, '  <CreateCluster>true</CreateCluster><ConfigureDbListener>true</ConfigureDbListener>'), 7, /<ListenAddresses> is missing/],
    ['a bad IP range', withLine(6, '  <CreateCluster>true</CreateCluster><ConfigureDbListener>true</ConfigureDbListener><ListenAddresses>*</ListenAddresses><IpRange>10.0.0.0/33</IpRange><MaxConnections>100</MaxConnections>'), 7, /not a CIDR range/],
    ['a missing RootDir', withLine(5, ''), 2, /<RootDir> is missing/],
    ['an unquoted attribute', withLine(1, '<SharedPersistenceConfiguration xmlns:xsi=x>'), 2, /must be in quotes/],
    ['an unknown root attribute', withLine(1, '<SharedPersistenceConfiguration version="2">'), 2, /attribute "version" is not part/],
  ])('%s', (_what, xml, line, message) => {
    const err = spcError(xml);
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(new RegExp(`^spc\\.cfg, line ${line}, column \\d+: `));
    expect((err.details as { line: number }).line).toBe(line);
  });

  it('names the column too, counting characters after a CRLF', () => {
    const err = spcError(withLine(4, '  <DbHost>日本 & x</DbHost>').replace(/\n/g, '\r\n'));
    expect(err.message).toMatch(/^spc\.cfg, line 5, column 14: /);
  });

  it('never quotes the password in an error', () => {
    const err = spcError(withLine(3, '  <DbUserPassword>Secr3t&bogus;</DbUserPassword>'));
    expect(err.message).not.toMatch(/bogus|Secr3t/);
  });

  it('refuses an empty file and invalid UTF-8', () => {
    expect(spcError('').message).toMatch(/line 1, column 1: the file has no root element/);
    expect(() => decodeSpcBytes(Buffer.from([0x3c, 0xff, 0xfe, 0x41]), 'x.cfg')).toThrow(/x\.cfg is not valid UTF-8/);
  });
});

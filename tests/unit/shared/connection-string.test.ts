import { describe, expect, it } from 'vitest';
import {
  ConnectionStringError,
  decodeXmlEscapes,
  formatConnectionString,
  parseConnectionString,
  toClientConfig,
  withConnectionDefaults,
} from '../../../electron/shared/connection-string.js';

const AWKWARD = `p&<>"';:/\\ wörd-Ünïcödé`;

describe('formatConnectionString', () => {
  it('writes the vendor format with its defaults', () => {
    expect(formatConnectionString({ userId: 'qliksenserepository', host: 'db1.example.com', password: 'secret' })).toBe(
      "User ID=qliksenserepository;Host=db1.example.com;Password='secret';Port=4432;Database=QSR;Pooling=true;Min Pool Size=0;Max Pool Size=90;Connection Lifetime=3600;Unicode=true;",
    );
  });

  it('adds Ssl Mode=Require when SSL is on', () => {
    const text = formatConnectionString({ userId: 'u', host: 'h', password: 'p', sslMode: 'Require' });
    expect(text.endsWith('Unicode=true;Ssl Mode=Require;')).toBe(true);
  });

  it("keeps the password in single quotes and doubles an inner single quote", () => {
    expect(formatConnectionString({ userId: 'u', host: 'h', password: "it's" })).toContain("Password='it''s';");
  });

  it('quotes other values that hold ; quotes = or spaces', () => {
    const text = formatConnectionString({ userId: 'a b', host: 'h', password: '', database: "x'y" });
    expect(text).toContain("User ID='a b';");
    expect(text).toContain(`Database="x'y";`);
    expect(text).toContain("Password='';");
  });

  it('refuses a port out of range and an empty host, without echoing the password', () => {
    expect(() => formatConnectionString({ userId: 'u', host: 'h', password: AWKWARD, port: 70000 })).toThrow(ConnectionStringError);
    expect(() => formatConnectionString({ userId: 'u', host: '', password: AWKWARD })).toThrow(/Host is required/);
  });
});

describe('parseConnectionString round trip', () => {
  const passwords = [
    AWKWARD,
    '& < > " \' ; : / \\',
    "''",
    '""',
    '=;=',
    ' leading and trailing ',
    '',
    'I^!?0&amp;163j',
    'Пароль密码🔑',
    "'; DROP TABLE nodes; --",
  ];
  for (const password of passwords) {
    it(`keeps ${JSON.stringify(password)}`, () => {
      const input = { userId: 'qliksenserepository', host: '10.0.0.5', password, sslMode: 'Require' as const };
      expect(parseConnectionString(formatConnectionString(input))).toEqual(withConnectionDefaults(input));
    });
  }

  it('keeps 300 random passwords over an alphabet of awkward characters', () => {
    const alphabet = [...`&<>"';:/\\ =aZ9éÜ€\t`];
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 300; i++) {
      const password = Array.from({ length: next() % 24 }, () => alphabet[next() % alphabet.length]).join('');
      const input = { userId: 'u', host: 'h', password };
      expect(parseConnectionString(formatConnectionString(input)).password).toBe(password);
    }
  });

  it('keeps every field, including extra keys', () => {
    const input = {
      userId: 'user;x',
      host: 'db',
      password: 'p',
      port: 5432,
      database: 'Other DB',
      pooling: false,
      minPoolSize: 1,
      maxPoolSize: 200,
      connectionLifetime: 60,
      unicode: false,
      sslMode: 'VerifyFull' as const,
      extra: [['Timeout', '15'], ['Key==With=Equals', "v'1"]] as const,
    };
    expect(parseConnectionString(formatConnectionString(input))).toEqual(withConnectionDefaults(input));
  });
});

describe('parseConnectionString', () => {
  it('accepts double quotes, synonyms, any key case and spaces around', () => {
    const f = parseConnectionString(' server = db ; UID=me; PWD="a""b;c" ; port=5433; sslmode=require; Database=QSR');
    expect(f).toMatchObject({ host: 'db', userId: 'me', password: 'a"b;c', port: 5433, sslMode: 'Require', database: 'QSR' });
  });

  it('lets the last occurrence of a key win', () => {
    expect(parseConnectionString('Host=a;User ID=u;Host=b;').host).toBe('b');
  });

  it('reports a broken string without showing the password', () => {
    const secret = 'sup3r-s3cret';
    for (const text of [`Host=h;User ID=u;Password='${secret}`, `Host=h;User ID=u;Password='${secret}'x;`]) {
      try {
        parseConnectionString(text);
        expect.unreachable('should have thrown');
      } catch (err) {
        expect(err).toBeInstanceOf(ConnectionStringError);
        expect(String((err as Error).message)).not.toContain(secret);
      }
    }
  });

  it('requires Host and User ID and checks numbers and booleans', () => {
    expect(() => parseConnectionString('User ID=u;Password=p')).toThrow(/no Host/);
    expect(() => parseConnectionString('Host=h;Password=p')).toThrow(/no User ID/);
    expect(() => parseConnectionString('Host=h;User ID=u;Port=abc')).toThrow(/Port must be a whole number/);
    expect(() => parseConnectionString('Host=h;User ID=u;Pooling=maybe')).toThrow(/Pooling must be true or false/);
    expect(() => parseConnectionString('Host=h;User ID=u;Ssl Mode=Sometimes')).toThrow(/Ssl Mode must be one of/);
    expect(() => parseConnectionString('Host=h;User ID')).toThrow(/Missing '='/);
  });
});

describe('decodeXmlEscapes', () => {
  it("restores the guide's example", () => {
    expect(decodeXmlEscapes('I^!?0&amp;163j')).toBe('I^!?0&163j');
  });

  it('decodes the five XML entities and numeric references in one pass', () => {
    expect(decodeXmlEscapes('&quot;&apos;&amp;&lt;&gt;&#233;&#x20AC;')).toBe(`"'&<>é€`);
    expect(decodeXmlEscapes('&amp;lt;')).toBe('&lt;');
  });

  it('leaves text that is not an entity alone', () => {
    expect(decodeXmlEscapes('a&b; c & d &unknown;')).toBe('a&b; c & d &unknown;');
  });
});

describe('toClientConfig', () => {
  it('maps the fields and SSL modes for node-postgres', () => {
    const base = { userId: 'u', host: 'h', password: AWKWARD };
    expect(toClientConfig(withConnectionDefaults(base))).toEqual({ host: 'h', port: 4432, user: 'u', password: AWKWARD, database: 'QSR', ssl: false });
    expect(toClientConfig(withConnectionDefaults({ ...base, sslMode: 'Require' })).ssl).toEqual({ rejectUnauthorized: false });
    expect(toClientConfig(withConnectionDefaults({ ...base, sslMode: 'VerifyFull' })).ssl).toEqual({ rejectUnauthorized: true });
  });
});

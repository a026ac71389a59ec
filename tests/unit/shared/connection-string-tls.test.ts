import { describe, expect, it } from 'vitest';
import { formatConnectionString, parseConnectionString, toClientConfig } from '../../../electron/shared/connection-string.js';

describe('connection string: SSL modes and the Root Certificate', () => {
  const base = { userId: 'qliksenserepository', host: 'db1.example.com', password: "p'w;" };

  it('writes and reads VerifyFull with Npgsql\'s Root Certificate key (a path with spaces quoted)', () => {
    const text = formatConnectionString({ ...base, sslMode: 'VerifyFull', rootCertificate: '/var/lib/my product/database-ca.pem' });
    expect(text).toContain("Ssl Mode=VerifyFull;Root Certificate='/var/lib/my product/database-ca.pem';");
    const f = parseConnectionString(text);
    expect(f.sslMode).toBe('VerifyFull');
    expect(f.rootCertificate).toBe('/var/lib/my product/database-ca.pem');
    expect(f.extra).toEqual([]);
    expect(formatConnectionString(f)).toBe(text);
    expect(parseConnectionString('User ID=u;Host=h;RootCertificate=/ca.pem;SSL Mode=verify-full').rootCertificate).toBe('/ca.pem');
  });

  it('maps the modes to node-postgres: Require encrypts unverified, VerifyCA skips the host name, VerifyFull checks both with the CA', () => {
    const f = (sslMode?: 'Disable' | 'Prefer' | 'Require' | 'VerifyCA' | 'VerifyFull') => parseConnectionString(formatConnectionString({ ...base, ...(sslMode ? { sslMode } : {}) }));
    expect(toClientConfig(f()).ssl).toBe(false);
    expect(toClientConfig(f('Prefer')).ssl).toBe(false);
    expect(toClientConfig(f('Require'), 'CA').ssl).toEqual({ rejectUnauthorized: false });
    const ca = toClientConfig(f('VerifyCA'), 'CA').ssl as { rejectUnauthorized: boolean; ca: string; checkServerIdentity: () => undefined };
    expect(ca.rejectUnauthorized).toBe(true);
    expect(ca.ca).toBe('CA');
    expect(ca.checkServerIdentity()).toBeUndefined();
    expect(toClientConfig(f('VerifyFull'), 'CA').ssl).toEqual({ rejectUnauthorized: true, ca: 'CA' });
  });
});

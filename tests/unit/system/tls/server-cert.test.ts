import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServerPair, inspectCert, issueServerCert, makeCa } from '../../../../electron/system/tls/index.js';

const DAY = 86_400_000;

describe('site CA and server certificate', async () => {
  const ca = await makeCa({ commonName: 'spsetup site CA test', validDays: 3650 });
  const server = await issueServerCert({ ca, names: ['db1.example.com', '10.250.9.1'], validDays: 825 });

  it('issues a certificate naming the hosts, signed by the CA, that the pair check accepts', async () => {
    const info = inspectCert(server.certPem)!;
    expect(info.subject).toBe('CN=db1.example.com');
    expect(info.issuer).toBe('CN=spsetup site CA test');
    expect(info.dnsNames).toEqual(['db1.example.com']);
    expect(info.ipAddresses).toEqual(['10.250.9.1']);
    expect(info.isCa).toBe(false);
    expect(inspectCert(ca.certPem)!.isCa).toBe(true);
    expect(Math.round((info.notAfter.getTime() - Date.now()) / DAY)).toBe(825);
    expect(server.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const r = await checkServerPair({ certPem: server.certPem, keyPem: server.keyPem, names: ['DB1.example.com', '10.250.9.1'], caPem: ca.certPem });
    expect(r.problems).toEqual([]);
  });

  it('OpenSSL agrees: the chain verifies for TLS servers and the host and IP match', () => {
    const dir = mkdtempSync(join(tmpdir(), 'h15tls-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), ca.certPem);
      writeFileSync(join(dir, 'server.pem'), server.certPem);
      const out = execFileSync('openssl', ['verify', '-purpose', 'sslserver', '-verify_hostname', 'db1.example.com', '-CAfile', join(dir, 'ca.pem'), join(dir, 'server.pem')]).toString();
      expect(out.trim()).toBe(`${join(dir, 'server.pem')}: OK`);
      const ip = execFileSync('openssl', ['verify', '-verify_ip', '10.250.9.1', '-CAfile', join(dir, 'ca.pem'), join(dir, 'server.pem')]).toString();
      expect(ip.trim()).toMatch(/: OK$/);
      let wrong = '';
      try {
        execFileSync('openssl', ['verify', '-verify_hostname', 'other.example.com', '-CAfile', join(dir, 'ca.pem'), join(dir, 'server.pem')], { stdio: 'pipe' });
      } catch (err) {
        wrong = String((err as { stdout: Buffer }).stdout) + String((err as { stderr: Buffer }).stderr);
      }
      expect(wrong).toMatch(/hostname mismatch/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names each problem: a key of another certificate, expiry, a missing host name, another CA, not a key', async () => {
    const other = await issueServerCert({ ca, names: ['db1.example.com'], validDays: 10 });
    const otherCa = await makeCa({ commonName: 'another CA', validDays: 10 });
    const r = await checkServerPair({ certPem: server.certPem, keyPem: other.keyPem, names: ['db2.example.com'], caPem: otherCa.certPem, now: new Date(Date.now() + 900 * DAY) });
    expect(r.problems).toEqual([
      'the private key does not belong to the certificate (CN=db1.example.com)',
      `the certificate expired on ${inspectCert(server.certPem)!.notAfter.toISOString()}`,
      'the certificate does not name db2.example.com (it names db1.example.com, 10.250.9.1), so a verify-full client would refuse it',
      'the certificate was not signed by the given CA',
    ]);
    expect((await checkServerPair({ certPem: 'not a cert', keyPem: server.keyPem, names: [] })).problems).toEqual(['the certificate file holds no PEM certificate that can be read']);
    expect((await checkServerPair({ certPem: server.certPem, keyPem: server.certPem, names: [] })).problems[0]).toMatch(/^the key file holds no PEM private key/);
  });

  it('matches one-label wildcards only', async () => {
    const wild = await issueServerCert({ ca, names: ['*.db.example.com'], validDays: 1 });
    const check = async (name: string) => (await checkServerPair({ certPem: wild.certPem, keyPem: wild.keyPem, names: [name] })).problems.length === 0;
    expect(await check('a.db.example.com')).toBe(true);
    expect(await check('a.b.db.example.com')).toBe(false);
    expect(await check('db.example.com')).toBe(false);
  });
});

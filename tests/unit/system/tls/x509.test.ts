import { describe, expect, it } from 'vitest';
import { webcrypto } from 'node:crypto';
import { x509 } from '../../../../electron/system/tls/x509.js';

describe('system/tls/x509', () => {
  it('loads the library with its polyfill and Node WebCrypto: a self-signed certificate round-trips through PEM', async () => {
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=probe',
      notBefore: new Date(Date.UTC(2026, 0, 1)),
      notAfter: new Date(Date.UTC(2027, 0, 1)),
      signingAlgorithm: alg,
      keys,
    });
    const parsed = new x509.X509Certificate(cert.toString('pem'));
    expect(parsed.subject).toBe('CN=probe');
    expect(parsed.notAfter.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(await parsed.verify({ signatureOnly: true })).toBe(true);
  });
});

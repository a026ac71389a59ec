/**
 * The reference product's site CA and node certificates (made with @peculiar/x509, checked here
 * with Node's own X509Certificate and a real TLS handshake), and the sealed hand-over of a set.
 */
import { X509Certificate } from 'node:crypto';
import { stat, readFile } from 'node:fs/promises';
import { connect, createServer } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificatesInstalled, checkCertificateSet, createSiteCa, issueNodeCertificate, readCertificateSet, writeCertificateSet, type CertificateSet } from '../../../../../electron/product/reference/runtime/certificates.js';
import { deriveRegistrationKey, openCertificateSet, proofMatches, redeemProof, sealCertificateSet } from '../../../../../electron/product/reference/runtime/certificate-seal.js';
import { createTempDir, type TempDir } from '../../../../support/temp.js';

let ca: { rootPem: string; rootKeyPem: string };
let node: CertificateSet;
let tmp: TempDir;

beforeAll(async () => {
  ca = await createSiteCa('central.example.com');
  node = await issueNodeCertificate(ca, '10.1.2.3');
  tmp = await createTempDir();
});
afterAll(async () => tmp?.cleanup());

describe('site CA and node certificates', () => {
  it('the CA is a self-signed CA; the node certificate is signed by it for the node name, localhost and 127.0.0.1', () => {
    const root = new X509Certificate(ca.rootPem);
    expect(root.ca).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.subject).toContain('CN=central.example.com-CA');
    const cert = new X509Certificate(node.serverPem);
    expect(cert.ca).toBe(false);
    expect(cert.verify(root.publicKey)).toBe(true);
    expect(cert.checkIssued(root)).toBe(true);
    expect(cert.subjectAltName).toBe('IP Address:10.1.2.3, DNS:localhost, IP Address:127.0.0.1');
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(node.rootKeyPem).toBeUndefined();
  });

  it('a DNS host name goes into the names as DNS', async () => {
    const named = await issueNodeCertificate(ca, 'rim1.example.com');
    expect(new X509Certificate(named.serverPem).subjectAltName).toBe('DNS:rim1.example.com, DNS:localhost, IP Address:127.0.0.1');
  });

  it('checkCertificateSet refuses a certificate of another CA and a key that does not match', async () => {
    expect(() => checkCertificateSet(node)).not.toThrow();
    const other = await issueNodeCertificate(await createSiteCa('other'), '10.1.2.3');
    expect(() => checkCertificateSet({ ...node, serverPem: other.serverPem })).toThrow(/not signed by the root/);
    expect(() => checkCertificateSet({ ...node, serverKeyPem: other.serverKeyPem })).toThrow(/does not match/);
  });

  it('a node certificate works for mutual TLS with the site CA; one of another CA is refused', async () => {
    const server = createServer({ key: node.serverKeyPem, cert: node.serverPem, ca: ca.rootPem, requestCert: true, rejectUnauthorized: true }, (s) => s.end('hello'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const client = await issueNodeCertificate(ca, 'client-node');
    const talk = (c: { serverKeyPem: string; serverPem: string }) =>
      new Promise<string>((resolve) => {
        const s = connect({ host: '127.0.0.1', port, key: c.serverKeyPem, cert: c.serverPem, ca: ca.rootPem }, () => undefined);
        let text = '';
        s.on('data', (d: Buffer) => (text += d.toString()));
        s.on('end', () => resolve(text));
        // TLS 1.3 finishes the client's handshake before the server checks its certificate: the refusal is an alert or a bare close.
        s.on('error', (err) => resolve(`refused: ${err.message}`));
      });
    try {
      expect(await talk(client)).toBe('hello');
      const stranger = await issueNodeCertificate(await createSiteCa('stranger'), 'x');
      expect(await talk(stranger)).not.toBe('hello');
    } finally {
      server.close();
    }
  });

  it('writes the set with private keys 0600 in a 0700 folder; root_key.pem only when given', async () => {
    const rim = join(tmp.path, 'rim');
    expect(certificatesInstalled(rim)).toBe(false);
    await writeCertificateSet(rim, node);
    expect(certificatesInstalled(rim)).toBe(true);
    const dir = join(rim, 'Certificates');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'server_key.pem'))).mode & 0o777).toBe(0o600);
    await expect(stat(join(dir, 'root_key.pem'))).rejects.toThrow();
    expect(await readCertificateSet(rim)).toEqual(node);
    const central = join(tmp.path, 'central');
    await writeCertificateSet(central, { ...node, rootKeyPem: ca.rootKeyPem });
    expect((await stat(join(central, 'Certificates', 'root_key.pem'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(central, 'Certificates', 'root_key.pem'), 'utf8')).toBe(ca.rootKeyPem);
  });
});

describe('sealed certificate hand-over', () => {
  it('the set opens with the password and host name it was sealed for, never the CA key', () => {
    const sealed = sealCertificateSet({ ...node, rootKeyPem: ca.rootKeyPem }, 'one-time-pw', '10.1.2.3');
    const key = deriveRegistrationKey('one-time-pw', Buffer.from(sealed.salt, 'base64url'));
    expect(proofMatches(sealed.proof, redeemProof(key, '10.1.2.3'))).toBe(true);
    const opened = openCertificateSet(sealed.sealed, key, '10.1.2.3');
    expect(opened).toEqual({ rootPem: node.rootPem, serverPem: node.serverPem, serverKeyPem: node.serverKeyPem });
    expect(Buffer.from(sealed.sealed, 'base64url').toString('utf8')).not.toContain('PRIVATE KEY');
  });

  it('a wrong password or another host name neither proves nor opens', () => {
    const sealed = sealCertificateSet(node, 'one-time-pw', '10.1.2.3');
    const salt = Buffer.from(sealed.salt, 'base64url');
    const wrong = deriveRegistrationKey('guess', salt);
    expect(proofMatches(sealed.proof, redeemProof(wrong, '10.1.2.3'))).toBe(false);
    expect(proofMatches(sealed.proof, redeemProof(deriveRegistrationKey('one-time-pw', salt), '10.9.9.9'))).toBe(false);
    expect(proofMatches(sealed.proof, 'not hex')).toBe(false);
    expect(() => openCertificateSet(sealed.sealed, wrong, '10.1.2.3')).toThrow(/cannot be opened/);
    expect(() => openCertificateSet(sealed.sealed, deriveRegistrationKey('one-time-pw', salt), '10.9.9.9')).toThrow(/cannot be opened/);
  });
});

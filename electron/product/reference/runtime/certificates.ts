/**
 * The reference product's site certificates, as the real repository keeps them: a site CA made by
 * the central node's bootstrap, and one certificate per node (server and client use) signed by it.
 * Files in `{dataDir}/Certificates`: root.pem, server.pem, server_key.pem, and root_key.pem on the
 * central node only; private keys 0600. @peculiar/x509 is loaded only when a certificate is made.
 */
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

export const CERTIFICATES_DIR = 'Certificates';
export const CERTIFICATE_FILES = { root: 'root.pem', rootKey: 'root_key.pem', server: 'server.pem', serverKey: 'server_key.pem' } as const;

/** A node's certificate set; rootKeyPem only on the central node. */
export interface CertificateSet {
  readonly rootPem: string;
  readonly rootKeyPem?: string;
  readonly serverPem: string;
  readonly serverKeyPem: string;
}

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

type X509Module = typeof import('@peculiar/x509');
let loaded: Promise<X509Module> | undefined;

/** @peculiar/x509 with Node's WebCrypto, loaded once on first use. */
function x509(): Promise<X509Module> {
  loaded ??= (async () => {
    await import('reflect-metadata');
    const mod = await import('@peculiar/x509');
    mod.cryptoProvider.set(webcrypto as unknown as Crypto);
    return mod;
  })();
  return loaded;
}

/** The folder of a node's certificates. */
export function certificatesDir(dataDir: string): string {
  return join(dataDir, CERTIFICATES_DIR);
}

function pemOf(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return pemOf('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', key));
}

/** A new site CA (self-signed, 10 years) for the central node `hostname`. */
export async function createSiteCa(hostname: string): Promise<{ readonly rootPem: string; readonly rootKeyPem: string }> {
  const x = await x509();
  const keys = await newKeys();
  const cert = await x.X509CertificateGenerator.createSelfSigned({
    name: `CN=${escapeRdn(hostname)}-CA, O=Reference product site`,
    keys,
    signingAlgorithm: SIGNING,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + TEN_YEARS_MS),
    extensions: [
      new x.BasicConstraintsExtension(true, 0, true),
      new x.KeyUsagesExtension(x.KeyUsageFlags.keyCertSign | x.KeyUsageFlags.cRLSign, true),
      await x.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { rootPem: cert.toString('pem') + '\n', rootKeyPem: await privateKeyPem(keys.privateKey) };
}

/** A node certificate for `hostname` (server and client authentication), signed by the site CA. */
export async function issueNodeCertificate(ca: { readonly rootPem: string; readonly rootKeyPem: string }, hostname: string): Promise<CertificateSet> {
  const x = await x509();
  const caCert = new x.X509Certificate(ca.rootPem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', derOf(ca.rootKeyPem), KEY_ALGORITHM, false, ['sign']);
  const keys = await newKeys();
  const names = [...new Set([hostname, 'localhost', '127.0.0.1'])].map((n) => ({ type: isIP(n) ? ('ip' as const) : ('dns' as const), value: n }));
  const cert = await x.X509CertificateGenerator.create({
    subject: `CN=${escapeRdn(hostname)}`,
    issuer: caCert.subject,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + TEN_YEARS_MS),
    extensions: [
      new x.BasicConstraintsExtension(false, undefined, true),
      new x.KeyUsagesExtension(x.KeyUsageFlags.digitalSignature | x.KeyUsageFlags.keyEncipherment, true),
      new x.ExtendedKeyUsageExtension([x.ExtendedKeyUsage.serverAuth, x.ExtendedKeyUsage.clientAuth]),
      new x.SubjectAlternativeNameExtension(names),
      await x.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { rootPem: ca.rootPem, serverPem: cert.toString('pem') + '\n', serverKeyPem: await privateKeyPem(keys.privateKey) };
}

/** RDN value escaping (RFC 4514) for a host name that may carry odd characters. */
function escapeRdn(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1');
}

/** Whether a node's certificate set is installed: root.pem, server.pem and server_key.pem present. */
export function certificatesInstalled(dataDir: string): boolean {
  const dir = certificatesDir(dataDir);
  return [CERTIFICATE_FILES.root, CERTIFICATE_FILES.server, CERTIFICATE_FILES.serverKey].every((f) => existsSync(join(dir, f)));
}

/** Checks a set before it is installed: the node certificate is signed by the root and its key matches. */
export function checkCertificateSet(set: CertificateSet): void {
  const root = new X509Certificate(set.rootPem);
  const server = new X509Certificate(set.serverPem);
  if (!root.ca) throw new Error('the root certificate is not a CA');
  if (!server.verify(root.publicKey)) throw new Error('the node certificate is not signed by the root certificate');
  if (!server.checkPrivateKey(createPrivateKey(set.serverKeyPem))) throw new Error('the node key does not match its certificate');
}

/** Writes a set into `{dataDir}/Certificates` (folder 0700, keys 0600, each file replaced atomically). */
export async function writeCertificateSet(dataDir: string, set: CertificateSet): Promise<void> {
  const dir = certificatesDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const files: [string, string, number][] = [
    [CERTIFICATE_FILES.root, set.rootPem, 0o644],
    [CERTIFICATE_FILES.serverKey, set.serverKeyPem, 0o600],
    [CERTIFICATE_FILES.server, set.serverPem, 0o644],
  ];
  if (set.rootKeyPem !== undefined) files.unshift([CERTIFICATE_FILES.rootKey, set.rootKeyPem, 0o600]);
  for (const [name, content, mode] of files) {
    const target = join(dir, name);
    const temp = `${target}.tmp-${process.pid}`;
    await writeFile(temp, content, { mode, flag: 'w' });
    await chmod(temp, mode);
    await rename(temp, target);
  }
}

/** Reads a node's installed set (rootKeyPem when this is the central node). */
export async function readCertificateSet(dataDir: string): Promise<CertificateSet> {
  const dir = certificatesDir(dataDir);
  const read = (name: string) => readFile(join(dir, name), 'utf8');
  const rootKeyPem = await read(CERTIFICATE_FILES.rootKey).catch(() => undefined);
  return {
    rootPem: await read(CERTIFICATE_FILES.root),
    serverPem: await read(CERTIFICATE_FILES.server),
    serverKeyPem: await read(CERTIFICATE_FILES.serverKey),
    ...(rootKeyPem === undefined ? {} : { rootKeyPem }),
  };
}

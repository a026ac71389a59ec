/** Certificates for the database traffic encryption: a site CA, server certificates, checks. */
export { makeCa, type PemPair } from './make-ca.js';
export { issueServerCert } from './issue-server-cert.js';
export { inspectCert, pemCertificates, commonName, type CertInfo } from './inspect-cert.js';
export { checkServerPair, certCoversName, type ServerPairInput, type ServerPairResult } from './check-server-pair.js';
export { publicKeyOfPrivate } from './keys.js';

/**
 * Password verifiers computed on our side, so a clear password never reaches the server (or its
 * log): SCRAM-SHA-256 (RFC 5802/7677, PostgreSQL's stored format) and the legacy md5 form.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCRAM_ITERATIONS = 4096;

/** SASLprep as PostgreSQL and libpq apply it: non-ASCII spaces to space, B.1 removed, NFKC. */
export function saslprep(password: string): string {
  return password
    .replace(/[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g, ' ')
    .replace(/[\u00AD\u034F\u1806\u180B\u180C\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g, '')
    .normalize('NFKC');
}

function scramKeys(password: string, salt: Buffer, iterations: number): { storedKey: Buffer; serverKey: Buffer } {
  const salted = pbkdf2Sync(Buffer.from(saslprep(password), 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

/** `SCRAM-SHA-256$<iter>:<salt b64>$<StoredKey b64>:<ServerKey b64>` with a fresh 16-byte salt. */
export function scramVerifier(password: string, iterations = SCRAM_ITERATIONS, salt: Buffer = randomBytes(16)): string {
  const { storedKey, serverKey } = scramKeys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** The pre-SCRAM form: 'md5' + md5(password + user). */
export function md5Verifier(password: string, user: string): string {
  return 'md5' + createHash('md5').update(password + user, 'utf8').digest('hex');
}

/** Whether a stored verifier (SCRAM or md5) is the one of this password. */
export function verifierMatches(stored: string, password: string, user: string): boolean {
  const m = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(stored);
  if (m) {
    const { storedKey, serverKey } = scramKeys(password, Buffer.from(m[2]!, 'base64'), Number(m[1]));
    const wantStored = Buffer.from(m[3]!, 'base64');
    const wantServer = Buffer.from(m[4]!, 'base64');
    return wantStored.length === 32 && wantServer.length === 32 && timingSafeEqual(storedKey, wantStored) && timingSafeEqual(serverKey, wantServer);
  }
  if (/^md5[0-9a-f]{32}$/.test(stored)) return stored === md5Verifier(password, user);
  return false;
}

/** The closed set of site operations and their payload (features/site/operations.ts). */
import { describe, expect, it } from 'vitest';
import { describeOperation, operationBodySchema, operationPayloadSchema, type OperationBody } from '../../../../electron/features/site/operations.js';
import { generateSiteKey, parseSiteKey, sealSecret } from '../../../../electron/features/site/site-key.js';

const ID = '5b1f0c2e-8a4d-4c3b-9e21-0a6f3c9d7e11';
const payload = (body: unknown, extra: Record<string, unknown> = {}) => ({
  id: ID,
  targets: ['10.0.0.2', '10.0.0.3'],
  requestedAt: '2030-01-01T12:00:00.000Z',
  requestedBy: 'spsetup on 10.0.0.2',
  deadline: '2030-01-01T12:01:00.000Z',
  body,
  ...extra,
});
const accepts = (body: unknown) => operationBodySchema.safeParse(body).success;

describe('operation bodies', () => {
  it('accepts each kind of the closed set', () => {
    const key = parseSiteKey(generateSiteKey());
    const bodies: OperationBody[] = [
      { kind: 'services', action: 'stop' },
      { kind: 'services', action: 'start' },
      { kind: 'services', action: 'restart' },
      { kind: 'connection', fields: { host: 'db2', port: 5432, sslMode: 'Require', password: sealSecret(key, 'pw', ID) }, restart: true },
      { kind: 'folders', folders: { apps: '/srv/share/Apps2' } },
      { kind: 'status' },
      { kind: 'diagnostics', logLines: 50 },
    ];
    for (const b of bodies) expect(accepts(b), JSON.stringify(b)).toBe(true);
  });

  it('refuses an unknown kind or action, and fields an operation does not have', () => {
    expect(accepts({ kind: 'shell', command: 'rm -rf /' })).toBe(false);
    expect(accepts({ kind: 'services', action: 'kill' })).toBe(false);
    expect(accepts({ kind: 'services', action: 'stop', command: 'x' })).toBe(false);
    expect(accepts({ kind: 'folders', folders: { apps: '/a', install: '/opt' } })).toBe(false);
    expect(accepts({ kind: 'connection', fields: { userId: 'postgres' }, restart: false })).toBe(false);
  });

  it('refuses a password in clear text: a payload carries only sealed secrets', () => {
    expect(accepts({ kind: 'connection', fields: { password: 'plain' }, restart: true })).toBe(false);
    expect(accepts({ kind: 'connection', fields: { password: { sealed: '' } }, restart: true })).toBe(false);
  });

  it('refuses out-of-range values', () => {
    expect(accepts({ kind: 'connection', fields: { port: 0 }, restart: true })).toBe(false);
    expect(accepts({ kind: 'connection', fields: { port: 65536 }, restart: true })).toBe(false);
    expect(accepts({ kind: 'connection', fields: { sslMode: 'require' }, restart: true })).toBe(false);
    expect(accepts({ kind: 'folders', folders: { root: '' } })).toBe(false);
    expect(accepts({ kind: 'diagnostics', logLines: 0 })).toBe(false);
    expect(accepts({ kind: 'diagnostics', logLines: 1001 })).toBe(false);
  });
});

describe('operation payloads', () => {
  it('accepts a complete payload', () => {
    expect(operationPayloadSchema.safeParse(payload({ kind: 'status' })).success).toBe(true);
  });

  it('refuses a payload without targets, with a non-uuid id, a bad instant, or an extra field', () => {
    expect(operationPayloadSchema.safeParse(payload({ kind: 'status' }, { targets: [] })).success).toBe(false);
    expect(operationPayloadSchema.safeParse(payload({ kind: 'status' }, { id: '1' })).success).toBe(false);
    expect(operationPayloadSchema.safeParse(payload({ kind: 'status' }, { deadline: 'tomorrow' })).success).toBe(false);
    expect(operationPayloadSchema.safeParse(payload({ kind: 'status' }, { signature: 'x' })).success).toBe(false);
  });
});

describe('describing an operation', () => {
  it('names what it does and never the sealed secret', () => {
    const key = parseSiteKey(generateSiteKey());
    const sealed = sealSecret(key, 'Secret-pw-1', ID);
    const text = describeOperation({ kind: 'connection', fields: { host: 'db2', password: sealed }, restart: true });
    expect(text).toBe('set connection string host, password');
    expect(text).not.toContain(sealed.sealed);
    expect(describeOperation({ kind: 'services', action: 'restart' })).toBe('restart the services');
    expect(describeOperation({ kind: 'folders', folders: { apps: '/a', staticContent: '/s' } })).toBe('set folders apps, staticContent');
  });
});

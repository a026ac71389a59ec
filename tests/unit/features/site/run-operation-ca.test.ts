/** The agent's connection operation with a root certificate (verify-full for a running site, issue 15). */
import { describe, expect, it } from 'vitest';
import { runOperation, type OperationContext } from '../../../../electron/features/site/run-operation.js';
import { parseConnectionString } from '../../../../electron/shared/connection-string.js';
import { issueServerCert, makeCa } from '../../../../electron/system/tls/index.js';
import type { System } from '../../../../electron/system/system.js';
import type { AgentConfig } from '../../../../electron/features/site/agent-config.js';

const STRING = "User ID=qliksenserepository;Host=db;Password='pw';Port=4432;Database=QSR;Ssl Mode=Require";

/** Just what the connection operation touches: the secret store and files, in memory. */
function node() {
  const files = new Map<string, string>();
  const secrets = new Map<string, string>([['/d/secrets/repository.connection', STRING]]);
  const sys = {
    secretStore: { get: async (p: string) => secrets.get(p), put: async (p: string, v: string) => void secrets.set(p, v) },
    files: { readText: async (p: string) => files.get(p), backup: async () => undefined, writeAtomic: async (p: string, t: string) => void files.set(p, t) },
  } as unknown as System;
  const config = { connectionStringFile: '/d/secrets/repository.connection', account: 'svc', stateDir: '/s', services: [], productConfig: { dataDir: '/d' } } as unknown as AgentConfig;
  const ctx: OperationContext = { sys, config, siteKey: Buffer.alloc(32), operationId: 'op', log: () => undefined };
  return { files, secrets, ctx };
}

describe('connection operation with a root certificate', () => {
  it('writes the CA in the data folder, then names it in a VerifyFull string; again changes nothing', async () => {
    const ca = await makeCa({ commonName: 'site CA', validDays: 30 });
    const n = node();
    const body = { kind: 'connection', fields: { sslMode: 'VerifyFull', rootCertificate: ca.certPem }, restart: false } as const;
    const first = await runOperation(body, n.ctx);
    expect(n.files.get('/d/database-ca.pem')).toBe(ca.certPem);
    const f = parseConnectionString(n.secrets.get('/d/secrets/repository.connection')!);
    expect(f).toMatchObject({ sslMode: 'VerifyFull', rootCertificate: '/d/database-ca.pem', password: 'pw', host: 'db' });
    expect(first.reconnect).toBe(true);
    expect((await runOperation(body, n.ctx)).message).toBe('connection string already up to date');
  });

  it('refuses a certificate that is not a CA (or two of them) with the node unchanged', async () => {
    const ca = await makeCa({ commonName: 'site CA', validDays: 30 });
    const leaf = await issueServerCert({ ca, names: ['db'], validDays: 30 });
    for (const pem of [leaf.certPem, `${ca.certPem}\n${ca.certPem}`]) {
      const n = node();
      await expect(runOperation({ kind: 'connection', fields: { sslMode: 'VerifyFull', rootCertificate: pem }, restart: false }, n.ctx)).rejects.toThrow(/not one CA certificate\. Nothing was changed on this node/);
      expect(n.files.size).toBe(0);
      expect(n.secrets.get('/d/secrets/repository.connection')).toBe(STRING);
    }
  });
});

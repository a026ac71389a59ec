import { describe, expect, it } from 'vitest';
import { toPgUserError } from '../../../../electron/system/postgres/client.js';

const opts = { host: 'db.example.net', port: 4432, user: 'qliksenserepository', database: 'QSR', password: 'S3cret!pw' };

describe('toPgUserError', () => {
  it('names the user on a wrong password, never the password', () => {
    const e = toPgUserError(Object.assign(new Error('password authentication failed for user "qliksenserepository"'), { code: '28P01' }), opts);
    expect([e.code, e.message]).toEqual(['database', 'The database refused the password for user qliksenserepository.']);
    expect(e.fix).toContain('db.example.net:4432');
  });

  it('gives the pg_hba line to add when no entry matches', () => {
    const msg = 'no pg_hba.conf entry for host "10.250.3.4", user "qliksenserepository", database "QSR", no encryption';
    const e = toPgUserError(Object.assign(new Error(msg), { code: '28000' }), opts);
    expect(e.code).toBe('database');
    expect(e.message).toContain('from 10.250.3.4');
    expect(e.fix).toContain('host QSR qliksenserepository 10.250.3.4/32 scram-sha-256');
  });

  it('maps unreachable servers to network errors and masks a password echoed by a driver', () => {
    for (const code of ['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND']) {
      expect(toPgUserError(Object.assign(new Error('x'), { code }), opts).code).toBe('network');
    }
    const e = toPgUserError(new Error('odd failure with S3cret!pw inside'), opts);
    expect(e.message).not.toContain('S3cret!pw');
    expect(e.message).toContain('***');
  });
});

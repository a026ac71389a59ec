import { describe, expect, it } from 'vitest';
import { md5Verifier, saslprep, scramVerifier, verifierMatches } from '../../../../electron/system/postgres/scram.js';

describe('password verifiers', () => {
  it('builds the PostgreSQL SCRAM-SHA-256 format and checks it', () => {
    const v = scramVerifier('pencil', 4096, Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
    // RFC 7677's test vector (user/pencil): ServerSignature is computed from this ServerKey.
    expect(v).toMatch(/^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(verifierMatches(v, 'pencil', 'user')).toBe(true);
    expect(verifierMatches(v, 'pencil ', 'user')).toBe(false);
    expect(scramVerifier('pencil')).not.toBe(scramVerifier('pencil'));
  });

  it('matches RFC 7677: the ServerSignature of the example exchange', async () => {
    const { createHmac } = await import('node:crypto');
    const v = scramVerifier('pencil', 4096, Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
    const serverKey = Buffer.from(v.split(':').pop()!, 'base64');
    const authMessage =
      'n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    expect(createHmac('sha256', serverKey).update(authMessage).digest('base64')).toBe('6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('applies SASLprep like libpq and the server', () => {
    expect(saslprep('a\u00A0b\u00ADc')).toBe('a bc');
    expect(saslprep('\uFB01')).toBe('fi');
  });

  it('builds the md5 form', () => {
    expect(md5Verifier('secret', 'alice')).toMatch(/^md5[0-9a-f]{32}$/);
    expect(verifierMatches(md5Verifier('secret', 'alice'), 'secret', 'alice')).toBe(true);
    expect(verifierMatches(md5Verifier('secret', 'alice'), 'secret', 'bob')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { licenceChange, licenceNumber } from '../../../../electron/features/registration/licence.js';
import { qrsRequests } from '../../../../electron/features/registration/qrs-requests.js';
import { qlikSenseManifest } from '../../../../electron/product/qlik-sense.js';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** A signed licence key's shape: header.payload.signature (the signature is not checked here). */
const KEY = `${b64({ alg: 'RS512', typ: 'JWT' })}.${b64({ jti: 'x', license: '9999000000002782' })}.c2lnbmF0dXJl`;
const X = 'abcdefghij123456';

describe('site licence', () => {
  it('reads the licence number a signed key carries, and refuses what is not one', () => {
    expect(licenceNumber(KEY)).toBe('9999000000002782');
    expect(licenceNumber('not a key')).toBeUndefined();
    expect(licenceNumber(`${b64({})}.${b64({ jti: 'x' })}.sig`)).toBeUndefined();
  });

  it('does nothing when the site holds that licence, adds one when it has none, replaces another', () => {
    expect(licenceChange(undefined, KEY)).toBe('add');
    expect(licenceChange({ id: 'a', serial: '9999 0000 0000 2782', key: 'eyJhbGciOiJSUzUxMiIsI...' }, KEY)).toBe('same');
    expect(licenceChange({ id: 'a', serial: '', key: KEY }, KEY)).toBe('same');
    expect(licenceChange({ id: 'a', serial: '0000 6500 7751 6278', key: 'other' }, KEY)).toBe('replace');
  });

  it('golden requests of the real repository API (License: Get, Create using signed license key, Update)', () => {
    const r = qrsRequests(qlikSenseManifest.registration!);
    const get = { 'X-Qlik-Xrfkey': X, 'X-Qlik-User': 'UserDirectory=INTERNAL; UserId=sa_api', Accept: 'application/json' };
    expect(r.getLicense(X)).toEqual({ method: 'GET', path: `/qrs/license?xrfkey=${X}`, headers: get });
    expect(r.addLicense(X, KEY)).toEqual({ method: 'POST', path: `/qrs/license?xrfkey=${X}`, headers: { ...get, 'Content-Type': 'application/json' }, body: JSON.stringify({ key: KEY }) });
    const current = { id: '7c075f87-d391-4988-af73-79296425f0a1', modifiedDate: '2022-03-16T13:55:48.269Z', serial: '0000 6500 7751 6278', key: KEY };
    expect(r.putLicense(X, current)).toEqual({ method: 'PUT', path: `/qrs/license/7c075f87-d391-4988-af73-79296425f0a1?xrfkey=${X}`, headers: { ...get, 'Content-Type': 'application/json' }, body: JSON.stringify(current) });
  });
});

import { describe, expect, it } from 'vitest';
import { accountEnv, runuserTarget } from '../../../electron/system/child-env.js';
import { SERVICE_PATH } from '../../../electron/system/services/runit-script.js';

describe('child-env', () => {
  it('finds the account of a runuser command line, and nothing in other commands', () => {
    expect(runuserTarget('runuser', ['-u', 'postgres', '--', '/usr/lib/postgresql/15/bin/pg_ctl', 'restart'])).toBe('postgres');
    expect(runuserTarget('/usr/sbin/runuser', ['-u', 'spref', '--', 'id'])).toBe('spref');
    expect(runuserTarget('pg_ctl', ['-u', 'x'])).toBeUndefined();
    expect(runuserTarget('runuser', ['-u'])).toBeUndefined();
  });

  it('gives the account PATH, LANG, HOME, USER, LOGNAME and only the explicit extras', () => {
    expect(accountEnv('spref', '/srv/data', { PGCONNECT_TIMEOUT: '5', LANG: undefined })).toEqual({ PATH: SERVICE_PATH, HOME: '/srv/data', USER: 'spref', LOGNAME: 'spref', PGCONNECT_TIMEOUT: '5' });
    expect(accountEnv('nohome', undefined)['HOME']).toBe('/');
  });
});

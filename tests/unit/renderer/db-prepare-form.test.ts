import { describe, expect, it } from 'vitest';
import { initialForm, toDbPrepareSettings, toSettings } from '../../../renderer/src/lib/form.js';
import { parseSettings } from '../../../electron/shared/settings.js';
import type { EnvironmentInfo } from '../../../electron/shared/ipc.js';

const env: EnvironmentInfo = {
  platform: 'linux',
  hostname: 'db1.example.test',
  elevated: false,
  products: [{ id: 'reference', displayName: 'Reference', version: '1.0.0' }],
  defaults: { installDir: '/opt/reference', dataDir: '/var/lib/reference', shareRoot: '/srv/share', serviceUser: 'spsvc', ipRanges: ['10.0.0.0/24'] },
};

function existing() {
  const f = initialForm(env);
  f.licenceAccepted = true;
  f.mode = 'create';
  f.dbInstall = 'existing';
  f.dbHost = 'db1.example.test';
  f.dbPassword = f.dbPasswordConfirm = 'db-pass-1';
  f.superuser = ' admin ';
  f.superuserPassword = 'su-pass-1';
  return f;
}

describe('db prepare from the wizard (issue 12)', () => {
  it('sends the superuser password only to db prepare, with the listener the screen shows', () => {
    const f = existing();
    const s = toDbPrepareSettings(f);
    expect(s.database.superuser).toBe('admin');
    expect(s.database.superuserPassword).toBe('su-pass-1');
    expect(s.database.listener).toEqual({ listenAddresses: ['*'], ipRanges: ['10.0.0.0/24'], maxConnections: 100 });
    const parsed = parseSettings(s);
    expect(parsed.ok && parsed.settings.database.install).toBe('existing');
    // The install's own settings for an existing database still carry no superuser password.
    expect(toSettings(f).database).not.toHaveProperty('superuserPassword');
  });

  it('a listener edit changes what db prepare is asked to plan', () => {
    const f = existing();
    const before = JSON.stringify(toDbPrepareSettings(f));
    f.ipRanges = '10.0.1.0/24';
    expect(JSON.stringify(toDbPrepareSettings(f))).not.toBe(before);
    expect(toDbPrepareSettings(f).database.listener?.ipRanges).toEqual(['10.0.1.0/24']);
  });
});

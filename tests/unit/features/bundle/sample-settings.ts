/** Settings of a created central node, as the bundle and spc tests start from. */
import { settingsSchema } from '../../../../electron/shared/settings.js';
import type { Settings, SettingsInput } from '../../../../electron/shared/settings.js';

export const CENTRAL_PASSWORD = `p&ss<w>rd"'é ß 日本`;

export function centralInput(overrides: Partial<SettingsInput> = {}): SettingsInput {
  return {
    product: 'reference',
    cluster: { mode: 'create', id: 'c0ffee00-1234-4abc-9def-000000000001' },
    database: {
      install: 'local',
      host: 'central.example.test',
      port: 4432,
      name: 'QSR',
      user: 'qliksenserepository',
      password: CENTRAL_PASSWORD,
      superuser: 'postgres',
      superuserPassword: { env: 'SP_SUPERUSER_PASSWORD' },
      listener: { listenAddresses: ['*'], ipRanges: ['10.250.1.0/24', '::/0'], maxConnections: 300 },
      ssl: 'disable',
    },
    share: { root: '\\\\central\\QlikShare', apps: '\\\\central\\QlikApps' },
    hostname: 'central.example.test',
    serviceAccount: { user: 'qservice', password: { file: '/etc/spsetup/service-password' } },
    plannedNodes: 3,
    ...overrides,
  };
}

export function centralSettings(overrides: Partial<SettingsInput> = {}): Settings {
  return settingsSchema.parse(centralInput(overrides));
}

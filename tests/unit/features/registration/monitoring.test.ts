import { describe, expect, it } from 'vitest';
import { APPS_RULE, monitoringChanges, pointRestAt } from '../../../../electron/features/registration/monitoring.js';

const rest = (host: string) => `CUSTOM CONNECT TO "provider=QvRestConnector.exe;url=https://${host}/qrs/app/full;timeout=900;method=GET;"`;

describe('the guide\'s monitoring apps values', () => {
  it('points a REST connection\'s url at the central node and keeps the rest', () => {
    expect(pointRestAt(rest('localhost'), 'central.example.com')).toBe(rest('central.example.com'));
    expect(pointRestAt('CUSTOM CONNECT TO "provider=QvRestConnector.exe;url=https://localhost:4242/qrs/task/full;"', '10.0.0.1')).toBe('CUSTOM CONNECT TO "provider=QvRestConnector.exe;url=https://10.0.0.1:4242/qrs/task/full;"');
  });

  it('lists every difference, nothing once configured, and the objects the site lacks', () => {
    const found = {
      connections: new Map([
        ['ArchivedLogsFolder', { id: 'a', connectionstring: '/var/lib/x/Archived Logs' }],
        ['monitor_apps_REST_app', { id: 'b', connectionstring: rest('localhost') }],
        ['monitor_apps_REST_task', undefined],
      ]),
      defaultRule: { id: 'r', disabled: false },
      appsRule: undefined,
    };
    const want = { archivedLogs: '/share/ArchivedLogs', centralHost: 'c1' };
    expect(monitoringChanges(found, want)).toEqual({
      changes: [
        { kind: 'connection', name: 'ArchivedLogsFolder', id: 'a', from: '/var/lib/x/Archived Logs', to: '/share/ArchivedLogs' },
        { kind: 'connection', name: 'monitor_apps_REST_app', id: 'b', from: rest('localhost'), to: rest('c1') },
        { kind: 'disable-rule', name: 'ResourcesOnNonCentralNodes', id: 'r' },
        { kind: 'create-rule', name: APPS_RULE },
      ],
      missing: ['data connection monitor_apps_REST_task'],
    });
    const done = {
      connections: new Map([
        ['ArchivedLogsFolder', { id: 'a', connectionstring: '/share/ArchivedLogs' }],
        ['monitor_apps_REST_app', { id: 'b', connectionstring: rest('c1') }],
        ['monitor_apps_REST_task', { id: 'c', connectionstring: rest('c1') }],
      ]),
      defaultRule: { id: 'r', disabled: true },
      appsRule: { id: 'n' },
    };
    expect(monitoringChanges(done, want)).toEqual({ changes: [], missing: [] });
  });
});

import { describe, expect, it } from 'vitest';
import { parseProgramArgs, UsageError } from '../../../../../electron/product/reference/runtime/args.js';
import { formatLogLine } from '../../../../../electron/product/reference/runtime/logger.js';

describe('parseProgramArgs', () => {
  it('reads the service and bootstrap forms', () => {
    expect(parseProgramArgs(['--config', '/c.json'])).toEqual({ configPath: '/c.json', isCentral: false });
    expect(parseProgramArgs(['--config=/c.json', '-bootstrap=install', '-iscentral'])).toEqual({ configPath: '/c.json', bootstrap: 'install', isCentral: true });
    expect(parseProgramArgs(['--config', '/c.json', '-bootstrap'])).toEqual({ configPath: '/c.json', bootstrap: 'join', isCentral: false });
  });

  it('refuses a missing config, unknown flags and -iscentral alone', () => {
    expect(() => parseProgramArgs([])).toThrow(UsageError);
    expect(() => parseProgramArgs(['--config'])).toThrow(/needs a file path/);
    expect(() => parseProgramArgs(['--config', '/c', '-x'])).toThrow(/Unknown argument: -x/);
    expect(() => parseProgramArgs(['--config', '/c', '-iscentral'])).toThrow(/only valid with -bootstrap/);
  });
});

describe('formatLogLine', () => {
  it('stamps the time and keeps one event on one line', () => {
    expect(formatLogLine(new Date('2024-01-02T03:04:05.678Z'), 'WARN', 'repository', 'a\nb')).toBe('2024-01-02T03:04:05.678Z WARN  repository: a b\n');
  });
});

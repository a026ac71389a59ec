import { describe, expect, it } from 'vitest';
import { parseSvStatus } from '../../../../electron/system/services/runit.js';
import { parseIsActive } from '../../../../electron/system/services/systemd.js';

describe('parseSvStatus', () => {
  it.each([
    ['run: /etc/service/qs-repo: (pid 123) 5s', 'running'],
    ['run: /etc/service/qs-repo: (pid 123) 5s; want down', 'running'],
    ['down: /etc/service/qs-repo: 3s, normally up', 'stopped'],
    ['down: /etc/service/qs-repo: 0s, normally up, want up', 'starting'],
    ['finish: /etc/service/qs-repo: (pid 9) 0s', 'starting'],
    ['warning: /etc/service/qs-repo: unable to open supervise/ok: file does not exist', 'unknown'],
    ['', 'unknown'],
  ] as const)('%s -> %s', (line, state) => {
    expect(parseSvStatus(`${line}\n`)).toBe(state);
  });
});

describe('parseIsActive', () => {
  it.each([
    ['active', 'running'],
    ['activating', 'starting'],
    ['inactive', 'stopped'],
    ['failed', 'stopped'],
    ['unknown', 'unknown'],
  ] as const)('%s -> %s', (out, state) => {
    expect(parseIsActive(`${out}\n`)).toBe(state);
  });
});

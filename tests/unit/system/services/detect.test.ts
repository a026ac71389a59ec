import { describe, expect, it } from 'vitest';
import { detectServiceManager } from '../../../../electron/system/services/detect.js';

describe('detectServiceManager', () => {
  it('picks systemd when PID 1 is systemd', () => {
    expect(detectServiceManager('linux', 'auto', () => 'systemd')).toBe('systemd');
  });

  it('picks runit when PID 1 is anything else or unknown', () => {
    expect(detectServiceManager('linux', 'auto', () => 'bash')).toBe('runit');
    expect(detectServiceManager('linux', 'auto', () => undefined)).toBe('runit');
  });

  it('picks the Windows service manager on win32 without looking at /proc', () => {
    expect(detectServiceManager('win32', 'auto', () => 'systemd')).toBe('windows');
  });

  it('obeys an override', () => {
    expect(detectServiceManager('linux', 'runit', () => 'systemd')).toBe('runit');
    expect(detectServiceManager('linux', 'systemd', () => 'bash')).toBe('systemd');
  });
});

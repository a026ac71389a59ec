import { describe, expect, it } from 'vitest';
import { formatIp, networkOf, parseIp } from '../../../electron/shared/ip.js';

describe('ip', () => {
  it('formats addresses in their usual form', () => {
    for (const text of ['10.1.2.3', '::', '::1', 'fe80::1', '2001:db8::8:800:200c:417a', '1:0:0:2:0:0:0:3']) expect(formatIp(parseIp(text)!)).toBe(text === '1:0:0:2:0:0:0:3' ? '1:0:0:2::3' : text);
  });

  it('gives the network of a range', () => {
    expect(networkOf('10.1.2.7/24')).toBe('10.1.2.0/24');
    expect(networkOf('10.1.2.7/0')).toBe('0.0.0.0/0');
    expect(networkOf('fd00::5/64')).toBe('fd00::/64');
    expect(networkOf('host/24')).toBeUndefined();
  });
});

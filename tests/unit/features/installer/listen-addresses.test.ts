import { describe, expect, it } from 'vitest';
import { missingListenAddresses } from '../../../../electron/features/installer/listen-addresses.js';

describe('listen_addresses precheck (issue 12)', () => {
  const local = ['127.0.0.1', '10.250.3.1', '::1', 'fe80::1%eth0'];
  it('names the IP addresses this server does not have', () => {
    expect(missingListenAddresses(['10.250.3.1', '10.250.3.9', '192.0.2.7'], local)).toEqual(['10.250.3.9', '192.0.2.7']);
    expect(missingListenAddresses(['2001:db8::5'], local)).toEqual(['2001:db8::5']);
  });
  it('lets wildcards, loopback, its own addresses and host names through', () => {
    expect(missingListenAddresses(['*', '0.0.0.0', '::', 'localhost', '127.0.0.1', '127.0.0.2', '::1', 'fe80::1', 'db1.example.com', '10.250.3.1'], local)).toEqual([]);
  });
});

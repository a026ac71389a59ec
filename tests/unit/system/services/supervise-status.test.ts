import { describe, expect, it } from 'vitest';
import { superviseStateOf } from '../../../../electron/system/services/supervise-status.js';

/** A supervise/status record as runsv writes it. */
function record(state: number, pid: number, want: 'u' | 'd'): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(pid, 12);
  b[17] = want.charCodeAt(0);
  b[19] = state;
  return b;
}

describe('superviseStateOf', () => {
  it('maps runsv records as parseSvStatus maps the text sv prints for them', () => {
    expect(superviseStateOf(record(1, 4242, 'u'))).toBe('running'); // run: (pid 4242)
    expect(superviseStateOf(record(1, 4242, 'd'))).toBe('running'); // run: ..., want down
    expect(superviseStateOf(record(2, 4242, 'u'))).toBe('starting'); // finish:
    expect(superviseStateOf(record(0, 0, 'u'))).toBe('starting'); // down: ..., want up
    expect(superviseStateOf(record(0, 0, 'd'))).toBe('stopped'); // down:
  });

  it('gives no state for a record it does not know (the caller asks sv)', () => {
    expect(superviseStateOf(Buffer.alloc(19))).toBeUndefined();
    expect(superviseStateOf(record(7, 1, 'u'))).toBeUndefined();
  });
});

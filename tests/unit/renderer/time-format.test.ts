import { describe, expect, it } from 'vitest';
import { formatElapsed, formatLastSeen, formatStepDuration } from '../../../renderer/src/lib/time-format.js';

describe('time formats of the progress and Finished screens', () => {
  it('elapsed time as m:ss, h:mm:ss past an hour', () => {
    expect(formatElapsed(0)).toBe('0:00');
    expect(formatElapsed(65_400)).toBe('1:05');
    expect(formatElapsed(3_725_000)).toBe('1:02:05');
    expect(formatElapsed(-5)).toBe('0:00');
  });

  it('step durations', () => {
    expect(formatStepDuration(4)).toBe('under 0.1 s');
    expect(formatStepDuration(3_420)).toBe('3.4 s');
    expect(formatStepDuration(125_000)).toBe('2 min 05 s');
  });

  it('last seen in local time with how long ago, not raw UTC', () => {
    const now = Date.parse('2026-12-04T10:00:30Z');
    const shown = formatLastSeen('2026-12-04T10:00:18Z', now, 'en-GB');
    expect(shown).toMatch(/\(12 s ago\)$/);
    expect(shown).not.toContain('T10:00:18Z');
    expect(shown).toContain('2026');
    expect(formatLastSeen('2026-12-04T09:55:30Z', now)).toMatch(/\(5 min ago\)$/);
    expect(formatLastSeen('2026-12-04T10:00:31Z', now)).toMatch(/\(just now\)$/);
    expect(formatLastSeen('not a time', now)).toBe('not a time');
  });
});

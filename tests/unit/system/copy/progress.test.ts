import { describe, expect, it } from 'vitest';
import { ProgressTracker } from '../../../../electron/system/copy/progress.js';
import type { CopyProgress } from '../../../../electron/system/copy/types.js';

describe('copy progress', () => {
  it('estimates the time left from the measured rate', () => {
    let now = 0;
    const events: CopyProgress[] = [];
    const t = new ProgressTracker(10, 10_000_000, (p) => events.push(p), () => now);
    expect(t.snapshot().etaMs).toBeUndefined();
    // 1 MB per 500 ms = 2 MB/s, steady.
    for (let i = 0; i < 5; i++) {
      now += 500;
      t.copied(`f${i}`, 1_000_000);
    }
    const p = t.snapshot();
    expect(p.filesDone).toBe(5);
    expect(p.bytesDone).toBe(5_000_000);
    expect(p.bytesPerSecond).toBe(2_000_000);
    expect(p.etaMs).toBe(2500);
    expect(events.length).toBeGreaterThan(0);
    expect(events.at(-1)?.currentFile).toBe('f4');
  });

  it('counts skipped files as done but not as copy speed', () => {
    let now = 0;
    const t = new ProgressTracker(4, 4_000, undefined, () => now);
    t.skipped('a', 1_000);
    t.skipped('b', 1_000);
    now += 1000;
    t.copied('c', 1_000);
    const p = t.snapshot();
    expect(p.filesSkipped).toBe(2);
    expect(p.filesDone).toBe(3);
    expect(p.bytesPerSecond).toBe(1_000);
    expect(p.etaMs).toBe(1000);
  });

  it('includes bytes of a file still streaming, and ends at zero time left', () => {
    let now = 0;
    const events: CopyProgress[] = [];
    const t = new ProgressTracker(1, 8_000, (p) => events.push(p), () => now);
    now += 300;
    t.partial('big', 4_000);
    expect(t.snapshot().bytesDone).toBe(4_000);
    now += 300;
    t.copied('big', 8_000);
    t.finish();
    expect(events.at(-1)).toMatchObject({ filesDone: 1, bytesDone: 8_000, etaMs: 0 });
    // Never goes backwards.
    const bytes = events.map((e) => e.bytesDone);
    expect([...bytes].sort((a, b) => a - b)).toEqual(bytes);
  });
});

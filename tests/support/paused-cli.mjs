// The built spsetup command (dist/) run in this process, holding still at chosen points of a run so
// that a fault test can inject its fault exactly there (not by luck of timing). SPSETUP_TEST_PAUSE
// lists the points ("done:STEP" after a step's journal line, "started:STEP" before its check);
// at one, this process writes "paused POINT" to fd 3 when open (else stderr) and waits until the
// file SPSETUP_TEST_GO exists. Nothing in the product knows about this: it wraps the journal.
import { existsSync, writeSync } from 'node:fs';

const dist = new URL('../../dist/electron/', import.meta.url);
const { JournalWriter } = await import(new URL('engine/journal.js', dist).href);
const points = new Set((process.env.SPSETUP_TEST_PAUSE ?? '').split(',').filter(Boolean));
const go = process.env.SPSETUP_TEST_GO ?? '';
const appendFor = JournalWriter.prototype.appendFor;
JournalWriter.prototype.appendFor = function (planId, record) {
  appendFor.call(this, planId, record);
  const point = record.type === 'step-done' ? `done:${record.stepId}` : record.type === 'step-started' ? `started:${record.stepId}` : record.type;
  if (!points.has(point)) return;
  try {
    writeSync(3, `paused ${point}\n`);
  } catch {
    writeSync(2, `paused ${point}\n`);
  }
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(go)) Atomics.wait(cell, 0, 0, 20);
};
const { runFromProcess } = await import(new URL('cli/main.js', dist).href);
await runFromProcess();

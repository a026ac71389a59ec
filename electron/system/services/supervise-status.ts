/**
 * A runit service's state read the way `sv status` reads it, without spawning sv: runsv keeps the
 * 20-byte `supervise/status` record (pid at 12..15 little-endian, want 'u'/'d' at 17, state at 19:
 * 0 down, 1 run, 2 finish) and holds `supervise/ok` open for reading while it runs.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceState } from '../types.js';

const STATUS_BYTES = 20;

/** The state `sv status` would report, or undefined when no runsv is there (the caller asks sv then). */
export async function readSuperviseState(serviceDir: string): Promise<ServiceState | undefined> {
  const supervise = join(serviceDir, 'supervise');
  try {
    // What sv checks first: opening the FIFO for writing fails (ENXIO) unless runsv has it open.
    const ok = await open(join(supervise, 'ok'), constants.O_WRONLY | constants.O_NONBLOCK);
    await ok.close();
  } catch {
    return undefined;
  }
  let record: Buffer;
  try {
    const fh = await open(join(supervise, 'status'), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const buf = Buffer.alloc(STATUS_BYTES);
      const { bytesRead } = await fh.read(buf, 0, STATUS_BYTES, 0);
      if (bytesRead !== STATUS_BYTES) return undefined;
      record = buf;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
  return superviseStateOf(record);
}

/** Maps a `supervise/status` record to a ServiceState, as parseSvStatus maps sv's text. */
export function superviseStateOf(record: Buffer): ServiceState | undefined {
  if (record.length !== STATUS_BYTES) return undefined;
  const pid = record.readUInt32LE(12);
  switch (record[19]) {
    case 1:
      return 'running';
    case 2:
      return 'starting';
    case 0:
      return pid === 0 && record[17] === 'u'.charCodeAt(0) ? 'starting' : 'stopped';
    default:
      return undefined;
  }
}

/**
 * Bounded packet captures with tshark inside one of our network namespaces: a capture runs for a
 * fixed time on every interface of the namespace, filtered to one TCP port, into a pcap file the
 * test then reads (raw bytes, and tshark's own dissection).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { execBounded } from './netns.js';

export interface Capture {
  readonly file: string;
  /** The raw pcap bytes (what was on the wire, headers included). */
  bytes(): Promise<Buffer>;
  /**
   * tshark's count of frames matching a display filter, the port dissected as `decodeAs`
   * (pgsql by default; tls for connections that began before the capture, whose SSLRequest it missed).
   */
  count(displayFilter: string, port: number, decodeAs?: 'pgsql' | 'tls'): Promise<number>;
  /** Frames per protocol column, for messages. */
  protocols(port: number): Promise<Record<string, number>>;
}

/** Captures TCP port `port` in `netns` for `seconds`, running `during` once tshark is capturing. */
export async function captureWhile(netns: string, port: number, file: string, seconds: number, during: () => Promise<void>): Promise<Capture> {
  const child = spawn('ip', ['netns', 'exec', netns, 'tshark', '-i', 'any', '-f', `tcp port ${port}`, '-a', `duration:${seconds}`, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
  let stderr = '';
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  // tshark says "Capturing on 'any'" once the interface is open.
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/Capturing on/.test(stderr)) resolve();
    });
    void exited.then((code) => reject(new Error(`tshark ended (${code}) before capturing: ${stderr}`)));
  });
  try {
    await during();
  } finally {
    const code = await exited;
    clearTimeout(killer);
    if (code !== 0) throw new Error(`tshark failed (${code}): ${stderr}`);
  }
  return {
    file,
    bytes: () => readFile(file),
    async count(displayFilter, p, decodeAs = 'pgsql') {
      const r = await execBounded('tshark', ['-r', file, '-d', `tcp.port==${p},${decodeAs}`, '-Y', displayFilter, '-T', 'fields', '-e', 'frame.number'], { timeoutMs: 30_000 });
      if (r.code !== 0) throw new Error(`tshark -r failed: ${r.stderr}`);
      return r.stdout.split('\n').filter(Boolean).length;
    },
    async protocols(p) {
      const r = await execBounded('tshark', ['-r', file, '-d', `tcp.port==${p},pgsql`, '-T', 'fields', '-e', '_ws.col.Protocol'], { timeoutMs: 30_000 });
      const out: Record<string, number> = {};
      for (const l of r.stdout.split('\n').filter(Boolean)) out[l] = (out[l] ?? 0) + 1;
      return out;
    },
  };
}

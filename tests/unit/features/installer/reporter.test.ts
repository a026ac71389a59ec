import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Reporter } from '../../../../electron/features/installer/reporter.js';

const dir = mkdtempSync(join(tmpdir(), 'reporter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Reporter', () => {
  it('writes a readable, owner-only log with every known secret masked, on screen and in the file', () => {
    const lines: string[] = [];
    const log = join(dir, 'logs', 'install.log');
    const r = new Reporter({ logFiles: [log], secrets: ['s3cret', 's3cret-longer'], out: (l) => lines.push(l) });
    r.event({ kind: 'step-started', stepId: 'bootstrap', title: 'Bootstrap the central node', index: 13, total: 22 });
    r.event({ kind: 'log', level: 'warn', stepId: 'bootstrap', message: 'password s3cret-longer refused, then s3cret' });
    r.error({ code: 'database', message: 'login with s3cret failed', fix: 'Check the password.' });
    const text = readFileSync(log, 'utf8');
    expect(lines).toEqual(['[14/22] Bootstrap the central node ...', '  WARN: password *** refused, then ***', 'Error: login with *** failed', '  What to do: Check the password.']);
    expect(text).not.toContain('s3cret');
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \[14\/22\] Bootstrap the central node \.\.\.$/m);
    expect(statSync(log).mode & 0o777).toBe(0o600);
  });
});

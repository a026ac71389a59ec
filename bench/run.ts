/**
 * `npm run bench -- NAME`: runs bench/NAME/index.ts. Each benchmark prints, as its last line, one
 * JSON object with its figures and their ratios to a baseline measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(benchDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'lib' && existsSync(join(benchDir, d.name, 'index.ts')))
  .map((d) => d.name);
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`Usage: npm run bench -- NAME [args]   (NAME: ${available.join(', ')})`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, name, 'index.ts'), ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);

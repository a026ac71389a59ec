// Lint: typescript-eslint's recommended and promise rules (type-aware), and the layers of
// docs/architecture.md as an allow-list of imports for every .ts and .svelte file (build/eslint/).
import tseslint from 'typescript-eslint';
import { allowedImportsRule } from './build/eslint/layers.js';
import { svelteScripts } from './build/eslint/svelte-scripts.js';

const layers = { plugins: { layers: { rules: { 'allowed-imports': allowedImportsRule } } }, rules: { 'layers/allowed-imports': 'error' } };
const svelteBlocks = '**/*.svelte/*.ts';
// Files type-checked by one of the project's tsconfigs (e2e specs and config files are not).
const typed = ['electron/**/*.ts', 'renderer/src/**/*.ts', 'tests/**/*.ts', 'bench/**/*.ts'];
const untyped = ['tests/e2e/**', svelteBlocks];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', 'tests/e2e/artifacts/**', '**/*.cjs', 'tests/fixtures/**'] },
  ...tseslint.configs.recommended.map((c) => ({ ...c, ignores: [svelteBlocks] })),
  {
    ignores: [svelteBlocks],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: typed,
    ignores: untyped,
    languageOptions: {
      parserOptions: {
        project: ['./build/tsconfig.tests.json', './build/tsconfig.preload.json', './build/tsconfig.renderer.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A promise nobody awaits hides its failure; one passed where a void callback is expected runs unchecked.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  { files: ['**/*.svelte'], processor: svelteScripts },
  { files: [svelteBlocks], languageOptions: { parser: tseslint.parser } },
  { files: ['electron/**/*.ts', 'renderer/**/*.ts', svelteBlocks], ...layers },
);

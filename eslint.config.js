// Lint: typescript-eslint's recommended rules plus DESIGN.md's import rules between layers.
import tseslint from 'typescript-eslint';

const forbidElectron = {
  group: ['electron', 'electron/*'],
  message: 'Only electron/main and electron/preload import electron.',
};

const rule = (layers, extra = []) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: [{ name: 'electron', message: forbidElectron.message }],
      patterns: [
        ...layers.map((layer) => ({
          group: [`**/${layer}/**`, `**/${layer}`, `!**/system/types.js`],
          message: `DESIGN.md import rules: this layer may not import ${layer}.`,
        })),
        ...extra,
      ],
    },
  ],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', 'tests/e2e/artifacts/**', 'renderer/**/*.svelte', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['electron/shared/**/*.ts'], rules: rule(['engine', 'system', 'product', 'features', 'cli', 'main', 'preload']) },
  {
    files: ['electron/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: forbidElectron.message }],
          patterns: [
            { group: ['**/product/**', '**/features/**', '**/cli/**', '**/main/**', '**/preload/**'], message: 'DESIGN.md: engine imports shared and system interfaces only.' },
            {
              group: ['**/system/**', '!**/system/types.js', '!**/system/text-diff.js'],
              message: 'DESIGN.md: engine imports system interfaces (system/types.js) and the pure diff helper only.',
            },
          ],
        },
      ],
    },
  },
  { files: ['electron/system/**/*.ts'], rules: rule(['engine', 'product', 'features', 'cli', 'main', 'preload']) },
  { files: ['electron/product/**/*.ts', 'electron/features/**/*.ts'], rules: rule(['cli', 'main', 'preload']) },
  { files: ['electron/cli/**/*.ts'], rules: rule(['preload']) },
  {
    files: ['renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: forbidElectron.message }],
          patterns: [
            {
              group: ['**/electron/engine/**', '**/electron/system/**', '**/electron/product/**', '**/electron/features/**', '**/electron/cli/**', '**/electron/main/**', '**/electron/preload/**', 'node:*'],
              message: 'DESIGN.md: the renderer imports shared types only.',
            },
          ],
        },
      ],
    },
  },
);

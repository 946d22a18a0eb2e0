// One lint setup for the whole workspace: typescript-eslint's type-aware rules on every package.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const DASHBOARD_COLLECTOR_IMPORT =
  'The dashboard may import only types from the collector (import type …): a value import makes Next.js ' +
  'bundle collector code, and with it chDB, into the dashboard. Read data through src/lib/collector-api.ts.';

export default tseslint.config(
  // .corsight/ holds the collector's data (chDB parts come and go while it runs): never source.
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.next/**', 'coverage/**', '.corsight/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The dashboard reads the collector only over HTTP. A value import from the collector package would
    // make Next.js bundle its runtime (chDB's 543 MB native library, Fastify) into the dashboard build;
    // its answer types come in type-only (`import type … from '@corsight/collector/api-types'`).
    files: ['dashboard/**/*.ts', 'dashboard/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@corsight/collector', message: DASHBOARD_COLLECTOR_IMPORT, allowTypeImports: true },
          ],
          patterns: [
            { group: ['@corsight/collector/*'], message: DASHBOARD_COLLECTOR_IMPORT, allowTypeImports: true },
          ],
        },
      ],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  prettier,
);

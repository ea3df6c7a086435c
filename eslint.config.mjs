// @ts-check
import eslint from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, lowest first. A folder may import its own files and the layers before it,
 * nothing after: every dependency points down and no two folders import each other, type-only
 * imports included (STYLE.md, Layout). Features stand in the order they may use one another;
 * an effect the other way (a board's deletion reaching its monitors) goes through a hook.
 */
const LAYERS = [
  'core',
  'db',
  'graphql',
  'audit',
  'organizations',
  'tokens',
  'idempotency',
  'boards',
  'monitors',
  'incidents',
  'demo',
  'limits',
  'auth',
  'server',
  'app',
  'entry',
];

/** Each layer may import itself and the layers before it. */
const LAYER_RULE = [
  'error',
  {
    default: 'disallow',
    policies: LAYERS.map((type, index) => ({
      from: { element: { type } },
      allow: {
        to: {
          element: {
            types: { anyOf: LAYERS.slice(0, index + 1) },
          },
        },
      },
    })),
  },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly' },
    },
  },
  {
    files: ['src/server/playground/assets/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { document: 'readonly', self: 'readonly', fetch: 'readonly' },
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.js'] } },
      // Silences the deprecation notice of `mode` (see the elements below) on every lint run.
      'boundaries/legacy-warnings': false,
      'boundaries/elements': [
        // Single files: `mode: 'full'` classifies them (`partialMatch: false`, its replacement in
        // 7.x, left app.ts unclassified, so imports of it went unchecked: tried with a throwaway).
        { type: 'entry', pattern: 'src/{main,cli}.ts', mode: 'full' },
        { type: 'app', pattern: 'src/app.ts', mode: 'full' },
        ...LAYERS.filter((type) => type !== 'entry' && type !== 'app').map((type) => ({
          type,
          pattern: `src/${type}`,
        })),
      ],
    },
    rules: { 'boundaries/dependencies': LAYER_RULE },
  },
  {
    rules: {
      curly: ['error', 'all'],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
);

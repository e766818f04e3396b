// ESLint for every package's src and test (typed rules, against the root tsconfig.json), plus the plain
// JavaScript of bench/, examples/, scripts/ and test fixtures. `npm run lint` needs a build first: the tests
// import sibling packages by name, whose types are their built dist/.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['**/dist/', '**/node_modules/', '**/.turbo/', 'coverage/', 'bench/results/', '.changeset/']),
  {
    files: ['packages/*/src/**/*.ts', 'packages/*/test/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked, tseslint.configs.stylisticTypeChecked],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore marks a value left unused on purpose, e.g. a param dropped from a rest copy.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // The code writes `T[]` and `Array<{ ... }>` each where it reads better; neither of the rule's styles fits it.
      '@typescript-eslint/array-type': 'off',
      // `.catch(() => {})` marks a rejection that is handled elsewhere (or not wanted) on purpose.
      '@typescript-eslint/no-empty-function': ['error', { allow: ['arrowFunctions'] }],
      // Rejecting with `signal.reason` (typed any) is how an aborted wait ends; a literal non-Error is still caught.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // A `type` literal has the implicit index signature an interface lacks: payloads typed so pass as Record<string, unknown>.
      '@typescript-eslint/consistent-type-definitions': 'off',
      // An `async` function without `await` is how a call turns a synchronous throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      // Optional packages (SDKs, peer backends, @azure/identity) are loaded with require() when first used, on purpose.
      '@typescript-eslint/no-require-imports': 'off',
      // The header, name and JSON validators match control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // Test code and the test-only packages read JSON bodies, mocks and private fields as `any` on purpose.
    files: ['packages/*/test/**/*.ts', 'packages/test-upstream/src/**/*.ts', 'packages/test-suite/src/**/*.ts'],
    rules: {
      // Stub loggers and callbacks in tests are empty on purpose.
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Type tests declare values only to check their types with tsc.
    files: ['packages/*/test/types/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },
  {
    files: ['jest.config.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['packages/*/test/fixtures/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
  },
);

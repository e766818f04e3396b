import type { Config } from 'jest';

// One project per package; tests import sibling packages by name, which resolves to their built
// dist/ (the turbo `test` task depends on `build`), so the tests exercise what users install.
const packages = ['core', 'disk', 'test-upstream', 'router', 'redis', 's3', 'gcs', 'azure-blob', 'redis-semantic', 'qdrant'];
const ESM_PACKAGES = [
  'p-queue',
  'p-timeout',
  'teeny-request',
  'gaxios',
  'node-fetch',
  'data-uri-to-buffer',
  'fetch-blob',
  'formdata-polyfill',
  'node-domexception',
];

const config: Config = {
  projects: packages.map((name) => ({
    displayName: name,
    rootDir: `<rootDir>/packages/${name}`,
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    testEnvironment: 'node',
    transform: { '^.+\\.(ts|js)$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
    // p-queue and node-fetch ship only ES modules, which the Google SDKs' HTTP layers (teeny-request, gaxios)
    // load with import(): compile them all for jest's CommonJS module system, wherever they are nested.
    transformIgnorePatterns: [`^(?!.*/node_modules/(${ESM_PACKAGES.join('|')})/).*/node_modules/`, '/packages/[^/]+/dist/'],
  })),
  reporters: ['default', '<rootDir>/scripts/summary-reporter.cjs'],
  testTimeout: 30_000,
};

export default config;

import type { Config } from 'jest';

// One project per package; tests import sibling packages by name, which resolves to their built
// dist/ (the turbo `test` task depends on `build`), so the tests exercise what users install.
const packages = ['core', 'disk', 'test-upstream', 'router', 'redis', 'redis-semantic', 'qdrant'];

const config: Config = {
  projects: packages.map((name) => ({
    displayName: name,
    rootDir: `<rootDir>/packages/${name}`,
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    testEnvironment: 'node',
    transform: { '^.+\\.(ts|js)$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
    // p-queue ships only ES modules: compile it for jest's CommonJS module system.
    transformIgnorePatterns: ['/node_modules/(?!(p-queue|p-timeout)/)', '/packages/[^/]+/dist/'],
  })),
  reporters: ['default', '<rootDir>/scripts/summary-reporter.cjs'],
  testTimeout: 30_000,
};

export default config;

import type { Config } from 'jest';

// One project per package; tests import sibling packages by name, which resolves to their built
// dist/ (the turbo `test` task depends on `build`), so the tests exercise what users install.
const packages = ['core', 'disk'];

const config: Config = {
  projects: packages.map((name) => ({
    displayName: name,
    rootDir: `<rootDir>/packages/${name}`,
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    testEnvironment: 'node',
    transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
    transformIgnorePatterns: ['/node_modules/', '/dist/'],
  })),
  reporters: ['default', '<rootDir>/scripts/summary-reporter.cjs'],
  testTimeout: 30_000,
};

export default config;

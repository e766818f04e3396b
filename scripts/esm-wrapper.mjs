// Writes dist/index.mjs and dist/index.d.mts as thin ES-module wrappers around the CommonJS build, so
// `import` and `require` share one instance of each package (no dual-package hazard: one Cache class,
// one set of error classes). Run from a package folder after tsup has written dist/index.js.
import { existsSync, writeFileSync } from 'node:fs';

if (!existsSync('dist/index.js') || !existsSync('dist/index.d.ts')) {
  console.error('esm-wrapper: dist/index.js or dist/index.d.ts is missing; run tsup first');
  process.exit(1);
}
writeFileSync('dist/index.mjs', "export * from './index.js';\n");
writeFileSync('dist/index.d.mts', "export * from './index.js';\n");

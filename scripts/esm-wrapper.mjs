// Writes dist/<entry>.mjs and dist/<entry>.d.mts as thin ES-module wrappers around the CommonJS build, so
// `import` and `require` share one instance of each package (no dual-package hazard: one Cache class,
// one set of error classes). Run from a package folder after tsup has written dist/<entry>.js; the
// entries are the arguments (default: index).
import { existsSync, writeFileSync } from 'node:fs';

const entries = process.argv.length > 2 ? process.argv.slice(2) : ['index'];
for (const entry of entries) {
  if (!existsSync(`dist/${entry}.js`) || !existsSync(`dist/${entry}.d.ts`)) {
    console.error(`esm-wrapper: dist/${entry}.js or dist/${entry}.d.ts is missing; run tsup first`);
    process.exit(1);
  }
  writeFileSync(`dist/${entry}.mjs`, `export * from './${entry}.js';\n`);
  writeFileSync(`dist/${entry}.d.mts`, `export * from './${entry}.js';\n`);
}

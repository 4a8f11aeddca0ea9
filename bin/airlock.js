#!/usr/bin/env node
// Runs the compiled CLI (built by `npm ci` through the `prepare` script).
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
const compiled = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(compiled)) {
  process.stderr.write('airlock: not built yet; run `npm run build` (npm ci does it for you)\n');
  process.exit(1);
}
await import(compiled);

// Where the installed program lives (a clone, or the npm package): files shipped beside the code
// (package.json, demo data) are found from here under tsx (src/cli/) and when built (dist/src/cli/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The folder holding Airlock's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'bin', 'airlock.js'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('Airlock package root not found');
    dir = up;
  }
  root = dir;
  return dir;
}

/** The version in package.json. */
export const packageVersion = (): string =>
  (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** The command that runs this Airlock from any folder (`node /abs/bin/airlock.js`). */
export const airlockCommand = (): { command: string; args: string[] } => ({
  command: process.execPath,
  args: [join(packageRoot(), 'bin', 'airlock.js')],
});

// Serves the console built by Vite (dist/console): hashed assets cached for good, and index.html
// for every page path so that /approvals/ID, /audit and /agents open directly (and survive reload).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

export const CONSOLE_PAGES = ['/', '/sign-in', '/approvals', '/approvals/:id', '/audit', '/agents'];

/** dist/console, found by walking up from this file (src/ under tsx and vitest, dist/src/ when built). */
export function consoleDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, 'dist', 'console'), join(dir, 'console')]) {
      // the built index.html loads /console/assets/; the source one (console/index.html) does not
      const index = join(candidate, 'index.html');
      if (existsSync(index) && readFileSync(index, 'utf8').includes('/console/assets/')) return candidate;
    }
    dir = dirname(dir);
  }
  return null;
}

const NOT_BUILT = `The Airlock console is not built. Run \`npm run build\` (or \`npm run build:console\`) and restart.\n`;

export function consoleStatic(): Router {
  const router = Router();
  const dir = consoleDir();
  let index: string | null = null;
  router.use(
    '/console/assets',
    dir
      ? express.static(join(dir, 'assets'), { index: false, immutable: true, maxAge: '365d', fallthrough: false })
      : (_req, res) => res.status(404).end(),
  );
  router.get(CONSOLE_PAGES, (_req, res) => {
    if (!dir) {
      res.status(503).type('text/plain').send(NOT_BUILT);
      return;
    }
    index ??= readFileSync(join(dir, 'index.html'), 'utf8');
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(index);
  });
  return router;
}

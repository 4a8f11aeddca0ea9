// The console is built at build time into dist/console and served by `airlock serve` under
// /console/assets: no CDN, no inline script or style (the Content-Security-Policy forbids them).
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [preact()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    // the polyfill would be an inline script; every browser the console targets has modulepreload
    modulePreload: { polyfill: false },
    // never inline assets as data: URLs (CSP img-src/font-src stay 'self')
    assetsInlineLimit: 0,
    target: 'es2022',
    sourcemap: true,
  },
});

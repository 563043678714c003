import { defineConfig } from 'vite';

// Resolved from this file, not the working directory, so `vite build --config web/vite.config.ts` and the
// tests' programmatic build agree wherever they are started from.
const root = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig({
  root,
  base: '/',
  // No public/ folder: everything the page needs is imported and fingerprinted.
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No data: URLs, so the Content-Security-Policy can keep img-src to 'self' (and the operator's tiles).
    assetsInlineLimit: 0,
    target: 'es2022',
    reportCompressedSize: false,
  },
});

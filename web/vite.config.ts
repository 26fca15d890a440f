/** Builds the web UI into web/dist, which local/web-ui.ts serves and serverless.yml uploads. */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { trimUnusedPatternFlyCss } from './css-trim.ts';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  css: { postcss: { plugins: [trimUnusedPatternFlyCss()] } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    assetsInlineLimit: 0,
  },
  logLevel: 'warn',
});

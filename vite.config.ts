import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { TrainingParamsSchema } from './src/training/params.js';

const root = fileURLToPath(new URL('./web/', import.meta.url));

/**
 * The dashboard: built from web/ into dist/web/, which the API serves at `/`. The form's fields,
 * defaults and limits come from the same schema the API validates with, fixed at build time so
 * the page carries no schema library.
 */
export default defineConfig({
  root,
  base: '/',
  define: {
    __TRAINING_PARAMS__: JSON.stringify(TrainingParamsSchema.properties),
  },
  build: {
    outDir: fileURLToPath(new URL('./dist/web/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Every asset a file of its own: a strict Content-Security-Policy allows no inline data.
    assetsInlineLimit: 0,
    // Module preload is native in every browser the page targets; the polyfill would only add bytes.
    modulePreload: { polyfill: false },
  },
  server: {
    // `npx vite` during development: the API runs separately (npm run start:api).
    proxy: { '/v1': 'http://127.0.0.1:3000' },
  },
});

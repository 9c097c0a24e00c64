import { defineConfig } from 'tsup';

// The library is published as ESM and CommonJS with a declaration file for each;
// the CLI is ESM only (it is run, never imported), split into chunks so that each command's action loads only what
// it needs (its `await import()`s), and `--version` or `stop` never load the supervisor's forever-monitor or pino.
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
  },
  {
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    splitting: true,
    esbuildOptions(options) {
      options.chunkNames = 'cli-chunks/[name]-[hash]';
    },
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
]);

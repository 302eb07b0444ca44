#!/usr/bin/env node
// The `credits` command: runs the compiled CLI (npm start and npm run build produce dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('credits: dist/ is missing; run `npm run build` first.');
  process.exit(1);
}
await import(entry.href);

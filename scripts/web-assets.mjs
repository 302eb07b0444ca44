#!/usr/bin/env node
/**
 * After `vite build`: precompress the dashboard's assets (brotli and gzip, served by
 * @fastify/static's preCompressed option to clients that accept them) and hold the first
 * page to its budget. The first page's JavaScript is what index.html loads before anything
 * renders: its entry script and the chunks it preloads. Its gzip size (the encoding every
 * browser accepts; brotli is smaller still) must stay under WEB_FIRST_PAGE_BUDGET_KB (150):
 * the build fails otherwise, naming the files.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = new URL('../dist/web/', import.meta.url).pathname;
const budgetKb = Number(process.env.WEB_FIRST_PAGE_BUDGET_KB ?? 150);
const COMPRESSIBLE = /\.(js|css|html|svg|json|txt|map)$/;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else yield p;
  }
}

// The entry stylesheet goes inline into index.html: an external stylesheet blocks the first
// paint for a round trip of its own (over half a second on a slow mobile network), while
// inline it arrives with the page (4 KB compressed) and the boot shell paints at once.
const indexPath = join(root, 'index.html');
const page = readFileSync(indexPath, 'utf8').replace(
  /<link rel="stylesheet"[^>]*\shref="\/?(assets\/[^"]+\.css)"[^>]*>/g,
  (_m, href) => `<style>${readFileSync(join(root, href), 'utf8').replaceAll('</style', '<\\/style')}</style>`,
);
writeFileSync(indexPath, page);

const sizes = new Map();
let count = 0;
for (const file of files(root)) {
  if (!COMPRESSIBLE.test(file)) continue;
  const raw = readFileSync(file);
  const gz = gzipSync(raw, { level: 9 });
  const br = brotliCompressSync(raw, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
  });
  // Only worth serving when smaller; @fastify/static falls back to the plain file otherwise.
  if (gz.length < raw.length) writeFileSync(`${file}.gz`, gz);
  if (br.length < raw.length) writeFileSync(`${file}.br`, br);
  sizes.set(relative(root, file), { raw: raw.length, gz: gz.length, br: br.length });
  count++;
}

const index = readFileSync(join(root, 'index.html'), 'utf8');
const firstPage = [...index.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/?([^"]+\.js)"/g)].map((m) => m[1]);
const total = { raw: 0, gz: 0, br: 0 };
for (const f of firstPage) {
  const s = sizes.get(f);
  if (!s) throw new Error(`web-assets: index.html loads ${f}, which the build did not write`);
  total.raw += s.raw;
  total.gz += s.gz;
  total.br += s.br;
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(
  `web: ${count} assets precompressed; first page JavaScript (${firstPage.length} files): ${kb(total.raw)}, ${kb(total.gz)} gzip, ${kb(total.br)} brotli (budget ${budgetKb} KB gzip)`,
);
if (total.gz > budgetKb * 1024) {
  console.error(`web: the first page's JavaScript is over its budget: ${kb(total.gz)} gzip > ${budgetKb} KB`);
  for (const f of firstPage) console.error(`  ${f}: ${kb(sizes.get(f).gz)} gzip`);
  process.exit(1);
}

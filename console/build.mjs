// Builds the console into one directory the host serves at / (http.console_dir):
//   index.html, assets/main-<hash>.js, assets/main-<hash>.css (+ source maps).
// Usage: node build.mjs <output directory>   (default: dist)
// Content-hashed asset names let the host tell browsers to keep them forever; index.html is
// always revalidated.
import * as esbuild from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, 'dist'));
const assets = join(out, 'assets');
rmSync(assets, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await esbuild.build({
  entryPoints: [join(here, 'src/main.tsx')],
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  outdir: assets,
  metafile: true,
  logLevel: 'warning',
  legalComments: 'linked',
});

let script = '';
let style = '';
for (const file of Object.keys(result.metafile.outputs)) {
  if (file.endsWith('.js')) script = basename(file);
  if (file.endsWith('.css')) style = basename(file);
}
if (!script || !style) throw new Error(`build.mjs: esbuild wrote no script or no style (${Object.keys(result.metafile.outputs)})`);
const html = readFileSync(join(here, 'src/index.html'), 'utf8')
  .replace('%SCRIPT%', `assets/${script}`)
  .replace('%STYLE%', `assets/${style}`);
writeFileSync(join(out, 'index.html'), html);
console.log(`console: ${out}/index.html, assets/${script}, assets/${style}`);

// The packages the production bundle loads at run time instead of containing them: the chart stack,
// which reads its WebAssembly and font files from its own package and is only loaded when a digest
// chart is drawn. scripts/bundle.mjs leaves them out of the bundle; the Docker image ships them,
// with what they depend on, next to the bundle in dist/node_modules instead of the whole
// node_modules (~80 MB instead of ~200 MB, and none of the packages the bundle already contains).
//
// Usage: node scripts/runtime-packages.mjs <dest>   (e.g. dist/node_modules)
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RUNTIME_PACKAGES = ['echarts', '@resvg/resvg-wasm', 'dejavu-fonts-ttf'];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Copies `names` and their production dependencies from `from` (a node_modules directory, npm's
 * hoisted layout) to `dest`. Returns the package names copied.
 */
export function copyRuntimePackages(dest, names = RUNTIME_PACKAGES, from = join(ROOT, 'node_modules')) {
  const copied = new Set();
  const visit = (name, parentDir) => {
    // A dependency nested under its dependent is copied with it; otherwise it is hoisted to `from`.
    if (parentDir && existsSync(join(parentDir, 'node_modules', name))) return;
    if (copied.has(name)) return;
    const dir = join(from, name);
    if (!existsSync(join(dir, 'package.json'))) throw new Error(`${name} is not installed in ${from} (run npm ci)`);
    copied.add(name);
    cpSync(dir, join(dest, name), { recursive: true, dereference: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, dir);
  };
  for (const name of names) visit(name, undefined);
  return [...copied];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dest = process.argv[2];
  if (!dest) {
    console.error('usage: node scripts/runtime-packages.mjs <dest>');
    process.exit(2);
  }
  const copied = copyRuntimePackages(dest);
  console.log(`copied to ${relative(process.cwd(), dest) || dest}: ${copied.join(', ')}`);
}

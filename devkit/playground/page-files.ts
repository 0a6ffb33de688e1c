// The playground page's files (page/index.html, page/page.css, page/page.js), as the page server serves them.
// Under tsx and vitest they are read from disk here. In dist/playground.js, scripts/bundle.mjs replaces this
// module with one that imports the same three files through esbuild's text loader, so the bundle carries them.
import { readFileSync } from 'node:fs';

export interface PageFiles {
  html: string;
  css: string;
  js: string;
}

const read = (name: string) => readFileSync(new URL(`./page/${name}`, import.meta.url), 'utf8');

export const PAGE_FILES: PageFiles = { html: read('index.html'), css: read('page.css'), js: read('page.js') };

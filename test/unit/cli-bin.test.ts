// The package's `bin` (bin/mcp-canary.js) in a checkout: it runs the bundle dist/cli.js only while no source
// file is newer than it (after a `git pull` without `npm run build` the bundle is the old code), else the
// sources through tsx, saying so once; in the image (no src/) the bundle whatever the dates. Run in a
// throwaway checkout whose bundle and source each say which one ran.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const HOUR = 3600;
let checkout: string;

beforeEach(() => {
  checkout = mkdtempSync(join(tmpdir(), 'mcp-canary-bin-'));
  mkdirSync(join(checkout, 'bin'));
  copyFileSync(join(ROOT, 'bin', 'mcp-canary.js'), join(checkout, 'bin', 'mcp-canary.js'));
  writeFileSync(join(checkout, 'package.json'), '{"type":"module"}\n');
  // TypeScript (tsx runs it), so that running it proves the sources ran.
  write('src/cli.ts', "export async function main(argv: string[]): Promise<void> {\n  const ran: string = 'source';\n  process.stdout.write(`${ran} ${argv.join(' ')}\\n`);\n}\n", -2 * HOUR);
  write('src/core/rollback.ts', 'export {};\n', -2 * HOUR);
  write('handlers/app.ts', 'export {};\n', -2 * HOUR);
  write('views/terminal.ts', 'export {};\n', -2 * HOUR);
  write('dist/cli.js', "export async function main(argv) {\n  process.stdout.write(`bundle ${argv.join(' ')}\\n`);\n}\n", -HOUR);
});

afterEach(() => rmSync(checkout, { recursive: true, force: true }));

/** Writes a file of the checkout, dated `ageSeconds` from now. */
function write(path: string, text: string, ageSeconds: number) {
  const full = join(checkout, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
  touch(path, ageSeconds);
}

function touch(path: string, ageSeconds: number) {
  const at = Date.now() / 1000 + ageSeconds;
  utimesSync(join(checkout, path), at, at);
}

function withDependencies() {
  symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'), 'dir');
}

function runBin(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [join(checkout, 'bin', 'mcp-canary.js'), ...args], { cwd: checkout, env: { PATH: process.env.PATH ?? '' } }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    ),
  );
}

const staleNotes = (stderr: string) => stderr.split('\n').filter((line) => /dist\/cli\.js is older than/.test(line));

describe('bin/mcp-canary.js in a checkout', () => {
  it('runs the bundle when no source file is newer than it, and says nothing', async () => {
    withDependencies();
    const run = await runBin('status', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('bundle status --json\n');
    expect(run.stderr).toBe('');
  });

  it('runs the sources when a file under src/ (however deep) is newer than the bundle, and says once how to refresh it', async () => {
    withDependencies();
    touch('src/core/rollback.ts', 0);
    const run = await runBin('rollback', 'users report errors');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('source rollback users report errors\n');
    expect(staleNotes(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/dist\/cli\.js is older than src\/core\/rollback\.ts .*running the sources instead\. `npm run build` in .* refreshes it\./);
  });

  it('also when the newer file is under handlers/ or views/', async () => {
    withDependencies();
    for (const path of ['handlers/app.ts', 'views/terminal.ts']) {
      touch(path, 0);
      const run = await runBin('history');
      expect(run.stdout, path).toBe('source history\n');
      expect(staleNotes(run.stderr), path).toHaveLength(1);
      touch(path, -2 * HOUR);
    }
  });

  it('runs the sources when there is no bundle (a fresh checkout), without a note', async () => {
    withDependencies();
    rmSync(join(checkout, 'dist'), { recursive: true });
    const run = await runBin('status');
    expect(run.stdout).toBe('source status\n');
    expect(run.stderr).toBe('');
  });

  it('in the image (no src/) runs the bundle whatever the dates', async () => {
    rmSync(join(checkout, 'src'), { recursive: true });
    touch('views/terminal.ts', 0);
    const run = await runBin('status');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('bundle status\n');
    expect(run.stderr).toBe('');
  });

  it('a stale bundle without tsx installed (no devDependencies): runs the old bundle and says so', async () => {
    touch('src/cli.ts', 0);
    const run = await runBin('status');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('bundle status\n');
    expect(run.stderr).toMatch(/dist\/cli\.js is older than src\/cli\.ts and tsx is not installed to run the sources: running the old bundle/);
  });
});

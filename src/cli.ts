// The break-glass command line's entry point (dist/cli.js; the package's `bin` bin/mcp-canary.js and the
// image's /usr/local/bin/mcp-canary run it): `mcp-canary <status|rollback [reason]|history> [--json]`.
// It composes config -> adapters -> core like the bot (src/cli/run.ts) and exits as soon as its work is
// done: everything it opened is closed, so the process ends by itself.
import { pathToFileURL } from 'node:url';
import { runCli } from './cli/run.js';

export { runCli } from './cli/run.js';
export { parseCli, USAGE } from './cli/args.js';

/** Runs the command line with this process's arguments and environment; sets the exit code. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  let code: number;
  try {
    code = await runCli(argv);
  } catch (error) {
    process.stderr.write(`mcp-canary: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    code = 1;
  }
  process.exitCode = code;
  // Everything it opened is closed, so the process normally ends right here. A library may still hold on a
  // little: ioredis waits up to 2 s for a Redis that does not answer to acknowledge the close, and keeps a
  // 2 s timer after one that refused the connection. A terminal in an incident does not wait for them.
  setTimeout(() => process.exit(code), 250).unref();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}

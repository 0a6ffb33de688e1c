// When the state store does not answer, the command line's audit entries go to a local file (JSON lines, one
// AuditEntry each, the same shape as the bot's log and Redis stream), and its path is printed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEntry } from '../core/entities.js';
import type { RollbackDelivery } from '../../views/terminal.js';

/**
 * Where the file may go, in order: $XDG_STATE_HOME/mcp-canary when set, the working directory (where the
 * engineer looks), ~/.local/state/mcp-canary ($HOME, else the account's), the temporary directory (the
 * image's root is read-only).
 */
export function auditFileDirectories(env: Record<string, string | undefined>, cwd = process.cwd()): string[] {
  const dirs: string[] = [];
  if (env.XDG_STATE_HOME) dirs.push(join(env.XDG_STATE_HOME, 'mcp-canary'));
  dirs.push(cwd);
  try {
    dirs.push(join(env.HOME || homedir(), '.local', 'state', 'mcp-canary'));
  } catch {
    // no home directory
  }
  dirs.push(tmpdir());
  return [...new Set(dirs)];
}

/** Writes the entries to a new file in the first directory that takes it; its path, or every error when none did. */
export function writeAuditFile(entries: AuditEntry[], dirs: string[], now = new Date()): { path: string } | { errors: string[] } {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const name = `mcp-canary-audit-${stamp}-${process.pid}.jsonl`;
  const text = entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n';
  const errors: string[] = [];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path, text, { flag: 'wx', mode: 0o644 });
      return { path };
    } catch (error) {
      errors.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { errors };
}

/** What the store did not take (`left`, because of `why`), into a local file; printed in full when no file can be written. */
export function settleAudit(left: AuditEntry[], why: string, dirs: string[]): RollbackDelivery['audit'] {
  if (!left.length) return { kind: 'store' };
  const written = writeAuditFile(left, dirs);
  if ('path' in written) return { kind: 'file', path: written.path, why };
  return { kind: 'lost', why: `${why} and no local file could be written (${written.errors.join('; ')})`, entries: left.map((e) => JSON.stringify(e)) };
}

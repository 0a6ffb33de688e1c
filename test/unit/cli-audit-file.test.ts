// Where the command line's audit entries go when the state store does not take them (src/cli/audit-file.ts):
// the directories in order, the first that takes the file, and the entries printed when none does.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditFileDirectories, settleAudit, writeAuditFile } from '../../src/cli/audit-file.js';
import type { AuditEntry, RollbackOutcome } from '../../src/core/entities.js';
import { rollbackLines } from '../../views/terminal.js';

const ENTRY: AuditEntry = { at: '2026-11-29T21:00:00.000Z', actor: 'cli:alice@laptop', action: 'rollback', summary: 'rollback from cli: Ingress mcp-gateway-canary set to 0% from 5%', fromPercent: 5, toPercent: 0 };
let scratch: string;
/** A directory that cannot be made, whoever runs the tests (root included): its parent is a file. */
let notADirectory: string;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mcp-canary-audit-file-'));
  writeFileSync(join(scratch, 'a-file'), '');
  notADirectory = join(scratch, 'a-file', 'state');
});

afterEach(() => rmSync(scratch, { recursive: true, force: true }));

describe('auditFileDirectories', () => {
  it('$XDG_STATE_HOME/mcp-canary, the working directory, ~/.local/state/mcp-canary, the temporary directory, in that order', () => {
    expect(auditFileDirectories({ XDG_STATE_HOME: '/state', HOME: '/home/alice' }, '/work/incident')).toEqual([
      '/state/mcp-canary',
      '/work/incident',
      '/home/alice/.local/state/mcp-canary',
      tmpdir(),
    ]);
  });

  it('without XDG_STATE_HOME (or empty), the working directory first; a directory is listed once', () => {
    expect(auditFileDirectories({ XDG_STATE_HOME: '', HOME: '/home/alice' }, '/work/incident')).toEqual(['/work/incident', '/home/alice/.local/state/mcp-canary', tmpdir()]);
    expect(auditFileDirectories({ HOME: '/home/alice' }, tmpdir())).toEqual([tmpdir(), '/home/alice/.local/state/mcp-canary']);
  });
});

describe('writeAuditFile', () => {
  it('writes JSON lines, one AuditEntry each, to a new file in the first directory that takes it', () => {
    const second = join(scratch, 'second');
    const written = writeAuditFile([ENTRY, { ...ENTRY, action: 'rollback-noop' }], [notADirectory, second, scratch], new Date('2026-11-29T21:00:05.123Z'));
    expect(written).toEqual({ path: join(second, `mcp-canary-audit-20261129T210005Z-${process.pid}.jsonl`) });
    const lines = readFileSync((written as { path: string }).path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as AuditEntry);
    expect(lines).toEqual([ENTRY, { ...ENTRY, action: 'rollback-noop' }]);
  });

  it('never overwrites a file (two runs in the same second and process): the next directory takes it', () => {
    const at = new Date('2026-11-29T21:00:05Z');
    const first = writeAuditFile([ENTRY], [scratch], at);
    const again = writeAuditFile([ENTRY], [scratch, join(scratch, 'next')], at);
    expect('path' in again && again.path).toBe(join(scratch, 'next', (first as { path: string }).path.split('/').pop()!));
  });

  it('every error, by path, when no directory takes it', () => {
    const written = writeAuditFile([ENTRY], [notADirectory, join(notADirectory, 'deeper')]);
    expect('errors' in written && written.errors).toEqual([expect.stringMatching(/a-file\/state\/mcp-canary-audit-.*\.jsonl: ENOTDIR/), expect.stringMatching(/a-file\/state\/deeper\/mcp-canary-audit-.*\.jsonl: ENOTDIR/)]);
  });
});

describe('settleAudit', () => {
  it('nothing left over: it is in the store', () => {
    expect(settleAudit([], 'the state store (Redis) did not answer', [notADirectory])).toEqual({ kind: 'store' });
  });

  it('left over: the file and why', () => {
    const settled = settleAudit([ENTRY], 'the state store (Redis) did not answer', [notADirectory, scratch]);
    expect(settled).toMatchObject({ kind: 'file', why: 'the state store (Redis) did not answer', path: expect.stringMatching(new RegExp(`^${scratch}/mcp-canary-audit-`)) });
  });

  it('lost (no file could be written anywhere): the entries themselves, printed in full, and every error', () => {
    const settled = settleAudit([ENTRY], 'the state store (Redis) did not answer', [notADirectory]);
    expect(settled).toEqual({
      kind: 'lost',
      why: expect.stringMatching(/^the state store \(Redis\) did not answer and no local file could be written \(.*a-file\/state\/mcp-canary-audit-.*: ENOTDIR/),
      entries: [JSON.stringify(ENTRY)],
    });
    const outcome: RollbackOutcome = {
      kind: 'rolled-back',
      actor: ENTRY.actor,
      source: 'cli',
      at: ENTRY.at,
      dryRun: false,
      route: { router: 'ingress-nginx', kind: 'Ingress', name: 'mcp-gateway-canary', namespace: 'stoa-system' },
      steps: [],
      fromPercent: 5,
      removedRules: [],
    };
    const lines = rollbackLines(outcome, { audit: settled, announcement: { kind: 'not-needed' } });
    const at = lines.findIndex((l) => l.startsWith('Audit: the state store (Redis) did not answer and no local file could be written'));
    expect(at, lines.join('\n')).toBeGreaterThan(0);
    expect(lines[at]).toMatch(/; the entry is only here:$/);
    expect(lines[at + 1]).toBe(`    ${JSON.stringify(ENTRY)}`);
  });
});

// The break-glass command line's grammar (parseCli) and who runs it (cliActor), without a process.
import { hostname } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';

// userInfo() throws for a uid without a passwd entry (containers run with --user 12345): made to, here.
const userInfo = vi.hoisted(() => ({ fail: false }));
vi.mock('node:os', async (importOriginal) => {
  const os = await importOriginal<typeof import('node:os')>();
  return {
    ...os,
    userInfo: (...args: Parameters<typeof os.userInfo>) => {
      if (userInfo.fail) throw Object.assign(new Error('uv_os_get_passwd returned ENOENT (no such file or directory)'), { code: 'ERR_SYSTEM_ERROR' });
      return os.userInfo(...args);
    },
  };
});

const { cliActor, parseCli } = await import('../../src/cli/args.js');

describe('parseCli', () => {
  it('status, history and rollback, with --json anywhere', () => {
    expect(parseCli(['status'])).toEqual({ kind: 'status', json: false });
    expect(parseCli(['--json', 'status'])).toEqual({ kind: 'status', json: true });
    expect(parseCli(['history', '--json'])).toEqual({ kind: 'history', json: true });
    expect(parseCli(['STATUS'])).toEqual({ kind: 'status', json: false });
    expect(parseCli(['rollback'])).toEqual({ kind: 'rollback', reason: undefined, json: false });
  });

  it('the rollback reason is every word after it, trimmed, cut at 500 characters as in Slack', () => {
    expect(parseCli(['rollback', 'users', 'report', 'errors', '--json'])).toEqual({ kind: 'rollback', reason: 'users report errors', json: true });
    expect(parseCli(['rollback', '  p99 up  '])).toEqual({ kind: 'rollback', reason: 'p99 up', json: false });
    expect(parseCli(['rollback', '   '])).toEqual({ kind: 'rollback', reason: undefined, json: false });
    const long = parseCli(['rollback', 'x'.repeat(600)]);
    expect(long.kind === 'rollback' && long.reason).toHaveLength(500);
  });

  it('help: --help, -h and help, whatever else is there', () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['status', '--help'], ['promote', '-h']]) expect(parseCli(argv), argv.join(' ')).toEqual({ kind: 'help' });
  });

  it('weight 0 (or 0%) is a rollback; any other weight and promote are refused (two-person rule)', () => {
    expect(parseCli(['weight', '0'])).toEqual({ kind: 'rollback', json: false });
    expect(parseCli(['weight', '0%', '--json'])).toEqual({ kind: 'rollback', json: true });
    for (const argv of [['weight', '50'], ['weight', '10%'], ['weight', '100'], ['promote']]) {
      const parsed = parseCli(argv);
      expect(parsed.kind, argv.join(' ')).toBe('refused');
      expect(parsed.kind === 'refused' && parsed.problem).toMatch(/two-person rule.*in Slack: \/mcp-canary (weight \d+|promote)\..*Nothing was changed/);
    }
    expect(parseCli(['weight', '10%'])).toMatchObject({ problem: expect.stringContaining('/mcp-canary weight 10.') });
  });

  it('the Slack-only commands are refused, each saying why', () => {
    for (const word of ['shadow', 'finalize', 'route', 'digest', 'diagnose']) {
      const parsed = parseCli([word, 'on']);
      expect(parsed.kind, word).toBe('refused');
      expect(parsed.kind === 'refused' && parsed.problem).toContain(`Use /mcp-canary ${word} in Slack.`);
    }
  });

  it('usage errors: no command, an unknown one, an unknown option, arguments where none are taken, a bad weight', () => {
    expect(parseCli([])).toEqual({ kind: 'usage', problem: 'No command given.' });
    expect(parseCli(['frobnicate'])).toEqual({ kind: 'usage', problem: 'Unknown command "frobnicate".' });
    expect(parseCli(['x'.repeat(60)])).toEqual({ kind: 'usage', problem: `Unknown command "${'x'.repeat(40)}...".` });
    expect(parseCli(['status', '--force'])).toMatchObject({ kind: 'usage', problem: expect.stringMatching(/--force/) });
    expect(parseCli(['status', 'now'])).toEqual({ kind: 'usage', problem: '`status` takes no arguments (got "now").' });
    expect(parseCli(['history', '5'])).toMatchObject({ kind: 'usage' });
    expect(parseCli(['promote', '50'])).toMatchObject({ kind: 'usage' });
    for (const argv of [['weight'], ['weight', '101'], ['weight', 'ten'], ['weight', '5', '10'], ['weight', '-5'], ['weight', '1.5']]) {
      expect(parseCli(argv).kind, argv.join(' ')).toBe('usage');
    }
  });
});

describe('cliActor', () => {
  afterEach(() => {
    userInfo.fail = false;
  });

  it('is cli:<OS account>@<host name>', () => {
    userInfo.fail = false;
    expect(cliActor({ USER: 'someone-else' })).toMatch(new RegExp(`^cli:[^@]+@${hostname().replace(/[.]/g, '\\.')}$`));
    expect(cliActor({ USER: 'someone-else' })).not.toContain('someone-else');
  });

  it('a uid without a passwd entry: $USER, else $LOGNAME, else uid-<number>', () => {
    userInfo.fail = true;
    expect(cliActor({ USER: 'alice', LOGNAME: 'bob' })).toBe(`cli:alice@${hostname()}`);
    expect(cliActor({ LOGNAME: 'bob' })).toBe(`cli:bob@${hostname()}`);
    expect(cliActor({ USER: '', LOGNAME: '' })).toBe(`cli:uid-${process.getuid!()}@${hostname()}`);
    expect(cliActor({})).toBe(`cli:uid-${process.getuid!()}@${hostname()}`);
  });
});

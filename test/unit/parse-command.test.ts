import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCommand, SUBCOMMANDS } from '../../handlers/parse-command.js';
import { renderHelp } from '../../views/help.js';

describe('parseCommand', () => {
  it.each([
    ['status', { kind: 'status' }],
    ['  STATUS  ', { kind: 'status' }],
    ['promote', { kind: 'promote' }],
    ['weight 5', { kind: 'weight', percent: 5 }],
    ['weight 0', { kind: 'weight', percent: 0 }],
    ['weight 100', { kind: 'weight', percent: 100 }],
    ['weight 25%', { kind: 'weight', percent: 25 }],
    ['rollback', { kind: 'rollback', reason: undefined }],
    ['rollback users report 502s on /mcp/v1/tools', { kind: 'rollback', reason: 'users report 502s on /mcp/v1/tools' }],
    ['shadow on', { kind: 'shadow', action: 'on' }],
    ['shadow status', { kind: 'shadow', action: 'status' }],
    ['history', { kind: 'history' }],
    ['digest', { kind: 'digest' }],
    ['help', { kind: 'help' }],
    ['', { kind: 'help' }],
  ])('parses %j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it.each([
    ['weight 150', /not a weight/],
    ['weight abc', /not a weight/],
    ['weight -1', /not a weight/],
    ['weight 1.5', /not a weight/],
    ['weight', /needs one whole number/],
    ['weight 5 10', /needs one whole number/],
    ['shadow', /`shadow` takes one of/],
    ['shadow maybe', /`shadow` takes one of/],
    ['status now', /takes no arguments/],
    ['deploy', /Unknown subcommand "deploy"/],
    ['<!channel> rm -rf', /Unknown subcommand/],
  ])('refuses %j with a usage problem', (text, problem) => {
    const parsed = parseCommand(text);
    expect(parsed.kind).toBe('invalid');
    expect(parsed.kind === 'invalid' && parsed.problem).toMatch(problem);
  });

  it('caps a rollback reason', () => {
    const parsed = parseCommand(`rollback ${'x'.repeat(5000)}`);
    expect(parsed.kind === 'rollback' && parsed.reason?.length).toBe(500);
  });
});

describe('every subcommand is documented', () => {
  const manifest = readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8');
  const usageHint = /usage_hint: (.*)/.exec(manifest)?.[1] ?? '';
  const help = renderHelp().blocks.map((b) => JSON.stringify(b)).join('\n');

  it.each(SUBCOMMANDS.map((word) => [word]))('%s: parsed, in help and in the manifest usage hint', (word) => {
    expect(parseCommand(word).kind === 'invalid' && /Unknown subcommand/.test((parseCommand(word) as { problem: string }).problem)).toBe(false);
    expect(help).toContain(`/mcp-canary ${word}`);
    expect(usageHint.split('|').map((part) => part.trim().split(' ')[0])).toContain(word);
  });
});

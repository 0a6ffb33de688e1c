import { describe, expect, it } from 'vitest';
import { ACTION } from '../../views/action-ids.js';
import {
  button,
  context,
  escapeMrkdwn,
  fields,
  header,
  mention,
  message,
  plainTime,
  progressBar,
  rollbackButton,
  section,
  slackTime,
  totalTextLength,
  truncate,
} from '../../views/blocks.js';
import { expectWithinLimits, HUGE } from './fixtures.js';

describe('truncate', () => {
  it('leaves short text alone and cuts long text to the limit with an ellipsis', () => {
    expect(truncate('hello', 10)).toBe('hello');
    const cut = truncate(HUGE, 3000);
    expect(cut.length).toBe(3000);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('never cuts inside an escaped entity or a Slack token', () => {
    const escaped = escapeMrkdwn('aaaa<b>');
    // "aaaa&lt;b&gt;": a cut at 7 would leave "aaaa&l"
    expect(truncate(escaped, 7)).toBe('aaaa…');
    const token = `see ${slackTime('2025-03-04T10:15:00Z')} now`;
    const cut = truncate(token, 20);
    expect(cut).toBe('see …');
  });

  it('closes a code block the cut left open', () => {
    const text = `run:\n\`\`\`${'kubectl '.repeat(100)}\`\`\``;
    const cut = truncate(text, 120);
    expect(cut.length).toBeLessThanOrEqual(120);
    expect(cut.split('```').length - 1).toBe(2);
  });

  it('does not split a surrogate pair', () => {
    const cut = truncate('ab😀😀😀', 4);
    expect(cut).toBe('ab…');
  });
});

describe('escaping and mentions', () => {
  it('escapes &, < and >', () => {
    expect(escapeMrkdwn('<!channel> & <script>')).toBe('&lt;!channel&gt; &amp; &lt;script&gt;');
  });

  it('mentions user ids and prints anything else as text', () => {
    expect(mention('U0ABC123')).toBe('<@U0ABC123>');
    expect(mention('mcp-canary')).toBe('mcp-canary');
    expect(mention('<!channel>')).toBe('&lt;!channel&gt;');
  });
});

describe('times', () => {
  it('renders a Slack date token with a UTC fallback', () => {
    expect(slackTime('2025-03-04T10:15:00.000Z')).toBe('<!date^1741083300^{date_short_pretty} {time}|2025-03-04 10:15 UTC>');
    expect(slackTime(new Date('2025-03-04T10:15:00.000Z'), 'ten past')).toBe('<!date^1741083300^{date_short_pretty} {time}|ten past>');
    expect(plainTime('2025-03-04T10:15:59.000Z')).toBe('2025-03-04 10:15 UTC');
  });

  it('shows an unreadable time as escaped text', () => {
    expect(slackTime('<soon>')).toBe('&lt;soon&gt;');
  });
});

describe('progressBar', () => {
  it('draws the ramp', () => {
    expect(progressBar(2, 6)).toBe('▰▰▱▱▱▱ step 2 of 6');
    expect(progressBar(6, 6)).toBe('▰▰▰▰▰▰ step 6 of 6');
    expect(progressBar(0, 6)).toBe('▱▱▱▱▱▱ not started (6 steps)');
  });

  it('caps the bar at 20 segments', () => {
    const bar = progressBar(50, 100);
    expect(bar).toBe(`${'▰'.repeat(10)}${'▱'.repeat(10)} step 50 of 100`);
  });
});

describe('blocks', () => {
  it('splits fields into sections of at most 10', () => {
    const pairs = Array.from({ length: 23 }, (_, i): [string, string] => [`label ${i}`, HUGE]);
    const sections = fields(pairs);
    expect(sections).toHaveLength(3);
    expect(sections.map((s) => s.fields!.length)).toEqual([10, 10, 3]);
    for (const s of sections) for (const f of s.fields!) expect(f.text.length).toBeLessThanOrEqual(2000);
  });

  it('bounds header, section, context and button texts', () => {
    expect(header(HUGE).text.text.length).toBe(150);
    expect(section(HUGE).text!.text.length).toBe(3000);
    const ctx = context(Array.from({ length: 14 }, () => 'a'));
    expect(ctx.elements).toHaveLength(10);
    const b = button({ text: HUGE, actionId: ACTION.refreshStatus, value: HUGE });
    expect((b.text.text as string).length).toBe(75);
    expect(b.value!.length).toBe(2000);
  });

  it('never emits an empty section text', () => {
    expect(section('').text!.text).toBe('—');
  });

  it('rollbackButton is a danger button with a complete confirm dialog', () => {
    const b = rollbackButton('status');
    expect(b.action_id).toBe(ACTION.rollback);
    expect(b.value).toBe('status');
    expect(b.style).toBe('danger');
    expect(b.confirm?.title?.text).toBe('Roll back the canary?');
    expect(b.confirm?.text.text).toMatch(/Sets the canary to 0% and removes its header and cookie routing rules/);
    expect(b.confirm?.text.text).toMatch(/all traffic goes to Python/);
    expect(b.confirm?.text.text.length).toBeLessThanOrEqual(300);
    expect(b.confirm?.confirm?.text).toBe('Roll back');
    expect(b.confirm?.deny?.text).toBe('Cancel');
    expect(b.confirm?.style).toBe('danger');
  });
});

describe('message safety net', () => {
  it('keeps at most 50 blocks, the trailing actions block included', () => {
    const blocks = [...Array.from({ length: 80 }, (_, i) => section(`entry ${i}`)), { type: 'actions' as const, elements: [rollbackButton('status')] }];
    const m = message('x', blocks);
    expect(m.blocks).toHaveLength(50);
    expect(m.blocks.at(-1)!.type).toBe('actions');
    expect(JSON.stringify(m.blocks.at(-2))).toMatch(/32 more blocks not shown/);
    expectWithinLimits(m);
  });

  it('shrinks the longest sections to the cumulative text budget', () => {
    const blocks = Array.from({ length: 10 }, () => section(HUGE));
    expect(totalTextLength(blocks)).toBe(30_000);
    const m = message('x', blocks);
    expect(totalTextLength(m.blocks)).toBeLessThanOrEqual(11_000);
    expectWithinLimits(m);
  });

  it('never returns an empty fallback text', () => {
    expect(message('', [section('a')]).text).toBe('mcp-canary');
  });
});

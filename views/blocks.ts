// Small typed Block Kit helpers shared by every view. Pure: no I/O, no clock. Every text that reaches a block
// goes through `truncate` with the limit of the field it lands in, so no Slack limit is ever exceeded,
// whatever the input. Text from outside the bot (reasons, alert names, error messages, user input) must be
// passed through `escapeMrkdwn` by the caller before it lands in mrkdwn.
import type { ActionsBlock, Button, ContextBlock, DividerBlock, HeaderBlock, KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import { ACTION } from './action-ids.js';

/** What every renderer returns: `text` is the notification / accessibility fallback, never empty. */
export interface Message {
  text: string;
  blocks: KnownBlock[];
}

export const LIMITS = {
  blocksPerMessage: 50,
  /** Modals and the App Home tab. */
  blocksPerView: 100,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 2000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** Undocumented cumulative limit (msg_blocks_too_long) is about 12k; stay well below it. */
  totalText: 11_000,
  /** Notification fallback: short on purpose. */
  fallbackText: 1000,
} as const;

const ELLIPSIS = '…';
const FENCE = '```';

/**
 * Shortens `text` to at most `max` UTF-16 units (Slack counts characters; this is never more than that),
 * ending with "…". Never cuts inside an `&amp;` entity, a `<…>` Slack token or a surrogate pair, and closes a
 * code block left open by the cut.
 */
export function truncate(text: string, max: number): string {
  if (max <= 0) return '';
  if (text.length <= max) return text;
  if (max === 1) return ELLIPSIS;
  const cut = (room: number): string => {
    let s = text.slice(0, Math.max(0, room));
    const lastCode = s.charCodeAt(s.length - 1);
    if (lastCode >= 0xd800 && lastCode <= 0xdbff) s = s.slice(0, -1);
    const amp = s.lastIndexOf('&');
    if (amp !== -1 && amp >= s.length - 8 && !s.slice(amp).includes(';')) s = s.slice(0, amp);
    const lt = s.lastIndexOf('<');
    if (lt !== -1 && !s.slice(lt).includes('>')) s = s.slice(0, lt);
    return s;
  };
  let s = cut(max - ELLIPSIS.length);
  if (countFences(s) % 2 === 1) {
    const closing = `${ELLIPSIS}\n${FENCE}`;
    s = cut(max - closing.length);
    return countFences(s) % 2 === 1 ? s + closing : s + ELLIPSIS;
  }
  return s + ELLIPSIS;
}

function countFences(s: string): number {
  return s.split(FENCE).length - 1;
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. Use on every outside text. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * `<url|label>` for an http(s) URL, or undefined for anything else (javascript:, garbage, over 1000
 * characters: a cut URL is a wrong link). The URL is parsed and re-serialised, which percent-encodes
 * `<`, `>` and spaces; `|` and `&` are encoded too, so outside text can never close the link early,
 * disguise it or start a `<!channel>`.
 */
export function link(raw: string | undefined, label: string): string | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const href = url.href.replace(/\|/g, '%7C').replace(/&/g, '&amp;').replace(/</g, '%3C').replace(/>/g, '%3E');
  if (href.length > 1000) return undefined;
  return `<${href}|${escapeMrkdwn(label).replace(/\|/g, '/')}>`;
}

/** The only Slack tokens a notification text may carry: user and user-group mentions and channel links the bot wrote. */
const FALLBACK_TOKEN = /<(@[UW][A-Z0-9]{2,}|!subteam\^S[A-Z0-9]{2,}|#[CGD][A-Z0-9]{2,})>/g;

/**
 * The notification `text` is mrkdwn too: any `<` or `>` that is not part of a mention the bot wrote becomes
 * inert, so an alert name or an error message can never ping anyone or hide a link, even if a caller forgot
 * to escape it. A mention counts as the bot's own only if it is in `ownMentions` (the mentions the message's
 * blocks carry, where every outside text is escaped): `<@U…>` or `<!subteam^S…>` typed into an alert name
 * is not. Entities already escaped (`&lt;`) are left as they are.
 */
export function neutralizeTokens(text: string, ownMentions: ReadonlySet<string> = new Set()): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(FALLBACK_TOKEN)) {
    if (!ownMentions.has(match[0])) continue;
    out += inert(text.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
  }
  return out + inert(text.slice(last));
}

function inert(text: string): string {
  return text.replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The user and user-group mentions in the blocks: the ones the views wrote (they escape everything else). */
export function mentionsIn(blocks: KnownBlock[]): Set<string> {
  return new Set([...JSON.stringify(blocks).matchAll(FALLBACK_TOKEN)].map((m) => m[0]));
}

/** `<@U…>` for a Slack user id; anything else (e.g. the bot's own "mcp-canary") as escaped text. */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId || 'someone');
}

/** `<#C…>` for a Slack channel id; anything else as escaped text. */
export function channelLink(channelId: string): string {
  return /^[CGD][A-Z0-9]{2,}$/.test(channelId) ? `<#${channelId}>` : escapeMrkdwn(channelId);
}

function toDate(at: string | Date): Date | undefined {
  const d = typeof at === 'string' ? new Date(at) : at;
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** "2025-01-06 14:05 UTC": for fallbacks and plain text, where Slack's date token does not render. */
export function plainTime(at: string | Date): string {
  const d = toDate(at);
  if (!d) return String(at) || 'unknown time';
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * A time each reader sees in their own timezone: `<!date^unix^{date_short_pretty} {time}|fallback>`.
 * The fallback (default: the UTC time) is what clients that cannot render the token show.
 * An unreadable time is shown as escaped text.
 */
export function slackTime(at: string | Date, fallback?: string): string {
  const d = toDate(at);
  if (!d) return escapeMrkdwn(String(at) || 'unknown time');
  const unix = Math.floor(d.getTime() / 1000);
  const fb = (fallback ?? plainTime(d)).replace(/[|<>]/g, ' ');
  return `<!date^${unix}^{date_short_pretty} {time}|${fb}>`;
}

/** `▰▰▱▱▱▱ step 2 of 6`; at most 20 segments however many steps the ramp has. */
export function progressBar(stepNumber: number, stepCount: number): string {
  if (stepCount <= 0) return 'no ramp steps configured';
  const step = Math.max(0, Math.min(stepNumber, stepCount));
  const segments = Math.min(stepCount, 20);
  const filled = Math.round((step / stepCount) * segments);
  const bar = '▰'.repeat(filled) + '▱'.repeat(segments - filled);
  return step === 0 ? `${bar} not started (${stepCount} steps)` : `${bar} step ${step} of ${stepCount}`;
}

// ---------- blocks ----------

function nonEmpty(text: string, placeholder = '—'): string {
  return text.trim() ? text : placeholder;
}

export function mrkdwn(text: string, max: number = LIMITS.sectionText): MrkdwnElement {
  return { type: 'mrkdwn', text: truncate(nonEmpty(text), max) };
}

function plain(text: string, max: number): { type: 'plain_text'; text: string; emoji: true } {
  return { type: 'plain_text', text: truncate(nonEmpty(text), max), emoji: true };
}

/** Plain-text header (150 chars); emoji shortcodes render. */
export function header(text: string): HeaderBlock {
  return { type: 'header', text: plain(text, LIMITS.headerText) };
}

export function section(text: string, accessory?: Button): SectionBlock {
  const block: SectionBlock = { type: 'section', text: mrkdwn(text, LIMITS.sectionText) };
  if (accessory) block.accessory = accessory;
  return block;
}

/** Label/value pairs as two-column fields: `*label*\nvalue`, split into sections of at most 10 fields. */
export function fields(pairs: Array<[label: string, value: string]>): SectionBlock[] {
  const out: SectionBlock[] = [];
  for (let i = 0; i < pairs.length; i += LIMITS.sectionFields) {
    out.push({
      type: 'section',
      fields: pairs.slice(i, i + LIMITS.sectionFields).map(([label, value]) => mrkdwn(`*${label}*\n${value}`, LIMITS.fieldText)),
    });
  }
  return out;
}

/** A context block: small grey text. At most 10 elements; extra texts are joined into the last one. */
export function context(texts: string[]): ContextBlock {
  const list = texts.filter((t) => t.trim());
  const kept = list.length > LIMITS.contextElements ? [...list.slice(0, LIMITS.contextElements - 1), list.slice(LIMITS.contextElements - 1).join(' · ')] : list;
  return { type: 'context', elements: (kept.length ? kept : ['—']).map((t) => mrkdwn(t, LIMITS.contextText)) };
}

export function divider(): DividerBlock {
  return { type: 'divider' };
}

export function actions(buttons: Button[]): ActionsBlock {
  return { type: 'actions', elements: buttons.slice(0, LIMITS.actionsElements) };
}

export interface ConfirmSpec {
  title: string;
  text: string;
  confirm: string;
  deny: string;
  style?: 'primary' | 'danger';
}

export interface ButtonSpec {
  text: string;
  actionId: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: ConfirmSpec;
}

export function button(spec: ButtonSpec): Button {
  const b: Button = {
    type: 'button',
    text: plain(spec.text, LIMITS.buttonText),
    action_id: spec.actionId.slice(0, LIMITS.actionId),
    value: spec.value.slice(0, LIMITS.buttonValue),
  };
  if (spec.style) b.style = spec.style;
  if (spec.confirm) {
    const c = spec.confirm;
    b.confirm = {
      title: plain(c.title, LIMITS.confirmTitle),
      text: plain(c.text, LIMITS.confirmText),
      confirm: plain(c.confirm, LIMITS.confirmButton),
      deny: plain(c.deny, LIMITS.confirmButton),
    };
    if (c.style) b.confirm.style = c.style;
  }
  return b;
}

export const ROLLBACK_CONFIRM: ConfirmSpec = {
  title: 'Roll back the canary?',
  text:
    'Sets the canary to 0% and removes its header and cookie routing rules: ' +
    'all traffic goes to Python (the Rust gateway gets none). No approval needed; the action is audited.',
  confirm: 'Roll back',
  deny: 'Cancel',
  style: 'danger',
};

/** The red Rollback button with its confirm dialog. `value` comes from `rollbackButtonValue(...)`. */
export function rollbackButton(value: string): Button {
  return button({ text: ':rewind: Roll back', actionId: ACTION.rollback, value, style: 'danger', confirm: ROLLBACK_CONFIRM });
}

/** "DRY RUN" marker for the end of a message. */
export function dryRunContext(): ContextBlock {
  return context([':test_tube: *DRY RUN*: the bot reads the real cluster and writes nothing (server-side dry runs only).']);
}

/**
 * DRY_RUN: every message says so. Views that know better word it themselves; this marks whatever else
 * leaves the bot (answers, replies, channel posts): "DRY RUN · " before the text and the DRY RUN note last.
 */
export function markDryRun<T extends { text: string; blocks?: unknown[] }>(m: T, dryRun: boolean): T {
  if (!dryRun) return m;
  const text = /DRY RUN/.test(m.text) ? m.text : truncate(`DRY RUN · ${m.text}`, LIMITS.fallbackText);
  const blocks = m.blocks && !JSON.stringify(m.blocks).includes('DRY RUN') ? capBlocks([...(m.blocks as KnownBlock[]), dryRunContext()], LIMITS.blocksPerMessage) : m.blocks;
  return { ...m, text, blocks };
}

/** A bulleted list, escaped, at most `maxItems` items (the rest summarised). */
export function bullets(items: string[], opts: { maxItems?: number; maxItemChars?: number; escape?: (s: string) => string } = {}): string {
  const maxItems = opts.maxItems ?? 15;
  const esc = opts.escape ?? escapeMrkdwn;
  const shown = items.slice(0, maxItems).map((item) => `• ${truncate(esc(item), opts.maxItemChars ?? 500)}`);
  if (items.length > maxItems) shown.push(`• …and ${items.length - maxItems} more`);
  return shown.join('\n');
}

// ---------- whole-message safety net ----------

function blockTextLength(block: KnownBlock): number {
  let n = 0;
  const b = block as { text?: { text?: string }; fields?: Array<{ text: string }>; elements?: Array<{ text?: unknown }> };
  if (b.text && typeof b.text.text === 'string') n += b.text.text.length;
  for (const f of b.fields ?? []) n += f.text.length;
  for (const e of b.elements ?? []) {
    if (typeof e.text === 'string') n += e.text.length;
    else if (e.text && typeof (e.text as { text?: unknown }).text === 'string') n += (e.text as { text: string }).text.length;
  }
  return n;
}

/** Total characters of text in the blocks, as Slack's cumulative limit counts them (approximately). */
export function totalTextLength(blocks: KnownBlock[]): number {
  return blocks.reduce((sum, b) => sum + blockTextLength(b), 0);
}

/**
 * Assembles a message and enforces the whole-message limits: at most 50 blocks (the trailing actions block,
 * which carries the Rollback button, is always kept) and a cumulative text budget (the longest section texts
 * are shortened first). The fallback text is never empty.
 */
export function message(text: string, blocks: KnownBlock[]): Message {
  const out = fitTextBudget(capBlocks(blocks, LIMITS.blocksPerMessage), LIMITS.totalText);
  return { text: truncate(neutralizeTokens(nonEmpty(text, 'mcp-canary'), mentionsIn(out)), LIMITS.fallbackText), blocks: out };
}

/**
 * At most `max` blocks: the last actions block (the one with the Rollback button) is always kept, the blocks
 * dropped from the end are replaced by a "…N more blocks not shown" note.
 */
export function capBlocks(blocks: KnownBlock[], max: number, surface: 'message' | 'view' = 'message'): KnownBlock[] {
  if (blocks.length <= max) return blocks;
  const lastActionsIndex = blocks.map((b) => b.type).lastIndexOf('actions');
  const tail = lastActionsIndex >= 0 ? [blocks[lastActionsIndex]!] : [];
  const rest = blocks.filter((_, i) => i !== lastActionsIndex);
  const room = max - 1 - tail.length;
  const omitted = rest.length - room;
  return [...rest.slice(0, room), context([`…${omitted} more block${omitted === 1 ? '' : 's'} not shown (${surface} too long)`]), ...tail];
}

function fitTextBudget(blocks: KnownBlock[], budget: number): KnownBlock[] {
  let excess = totalTextLength(blocks) - budget;
  if (excess <= 0) return blocks;
  const copy = structuredClone(blocks);
  // Shrink the longest section texts first, never below 200 characters each.
  const sections = copy.filter((b): b is SectionBlock => b.type === 'section' && !!b.text);
  sections.sort((a, b) => b.text!.text.length - a.text!.text.length);
  for (const s of sections) {
    if (excess <= 0) break;
    const len = s.text!.text.length;
    const target = Math.max(200, len - excess);
    if (target >= len) continue;
    s.text!.text = truncate(s.text!.text, target);
    excess -= len - s.text!.text.length;
  }
  return copy;
}

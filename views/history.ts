// `/mcp-canary history`: recent audited actions, newest first, within Slack's block and text limits.
import type { KnownBlock } from '@slack/types';
import type { AuditEntry } from '../src/core/entities.js';
import { formatPercent } from '../src/core/format.js';
import { context, escapeMrkdwn, header, LIMITS, mention, message, plainTime, section, slackTime, truncate, type Message } from './blocks.js';
import { transition } from './evidence.js';

const ACTIONS: Record<AuditEntry['action'], string> = {
  'weight-change-requested': ':hourglass_flowing_sand: increase requested',
  'weight-change-approved': ':white_check_mark: increase approved and applied',
  'weight-change-rejected': ':x: request rejected',
  'weight-change-refused': ':no_entry: refused at approval (NO-GO)',
  'weight-change-expired': ':hourglass: request expired',
  'weight-change-failed': ':rotating_light: weight change failed',
  'weight-decreased': ':arrow_down: weight decreased',
  rollback: ':rewind: rollback',
  'rollback-noop': ':information_source: rollback (nothing to do)',
  'rollback-failed': ':rotating_light: rollback FAILED',
  'shadow-toggled': ':eyes: shadow mode changed',
  'alert-acknowledged': ':ok_hand: alert acknowledged',
  'alert-silenced': ':no_bell: alert silenced',
  'drift-detected': ':mag: change made outside the bot',
  'finalize-requested': ':broom: cleanup requested',
  'finalize-step': ':broom: cleanup step',
  'finalize-finished': ':checkered_flag: cleanup finished',
  'job-undeliverable': ':warning: notification undeliverable',
  'route-applied': ':construction: canary route put in place',
  'guard-breach': ':shield: guard: rollback conditions breached',
};

export const DEFAULT_HISTORY_LIMIT = 20;
/** Entries shown at most, whatever the limit asked for: one section each, room left for header and notes. */
const MAX_ENTRIES = 40;
/** Text budget shared by the entries (the message stays well under Slack's ~12k cumulative limit). */
const ENTRIES_BUDGET = 9000;

export interface HistoryOptions {
  /** Why the store could not be read; the entries are then the ones not yet written to it. */
  storeError?: string;
  limit?: number;
}

export function renderHistory(entries: AuditEntry[], opts: HistoryOptions = {}): Message {
  const limit = Math.max(1, Math.min(opts.limit ?? DEFAULT_HISTORY_LIMIT, MAX_ENTRIES));
  const sorted = newestFirst(entries);
  const shown = sorted.slice(0, limit);
  const blocks: KnownBlock[] = [header(`Canary audit history${shown.length ? ` (last ${shown.length})` : ''}`)];

  if (opts.storeError) {
    blocks.push(section(storeErrorText(opts.storeError)));
  }

  if (!shown.length) {
    blocks.push(section('No audited actions yet.'));
    return message(opts.storeError ? 'No audited actions to show (state store unreachable)' : 'No audited actions yet', blocks);
  }

  const perEntry = Math.max(160, Math.min(LIMITS.sectionText, Math.floor(ENTRIES_BUDGET / shown.length)));
  for (const entry of shown) blocks.push(section(truncate(auditEntryText(entry), perEntry)));

  if (sorted.length > shown.length) {
    blocks.push(context([`${sorted.length - shown.length} older entr${sorted.length - shown.length === 1 ? 'y' : 'ies'} not shown.`]));
  }

  const newest = shown[0]!;
  const text = `Canary audit history: ${shown.length} entr${shown.length === 1 ? 'y' : 'ies'}, latest ${plainTime(newest.at)}: ${ACTIONS[newest.action]?.replace(/^:[a-z_]+: /, '') ?? newest.action}${
    opts.storeError ? ' (state store unreachable)' : ''
  }`;
  return message(text, blocks);
}

/** The warning shown when the audit store could not be read. */
export function storeErrorText(storeError: string): string {
  return `:warning: *State store unreachable* (${truncate(escapeMrkdwn(storeError), 500)}): showing only entries not yet written to it. The full history is in the bot's logs.`;
}

/** One audited action: time · actor · action · from → to, the summary, and the go/no-go it was decided on. */
export function auditEntryText(entry: AuditEntry): string {
  const what = ACTIONS[entry.action] ?? escapeMrkdwn(String(entry.action));
  const move =
    entry.fromPercent !== undefined && entry.toPercent !== undefined
      ? ` · ${transition(entry.fromPercent, entry.toPercent)}`
      : entry.fromPercent !== undefined
        ? ` · from ${formatPercent(entry.fromPercent)}`
        : '';
  const requested = entry.requestedBy ? ` · requested by ${mention(entry.requestedBy)}` : '';
  const lines = [`*${slackTime(entry.at)}* · ${mention(entry.actor)} · *${what}*${move}${requested}${entry.dryRun ? ' · _DRY RUN_' : ''}`];
  lines.push(truncate(escapeMrkdwn(entry.summary), 1200));
  if (entry.evidence) {
    const ev = entry.evidence;
    const why = ev.verdict === 'NO-GO' && ev.reasons.length ? `: ${truncate(escapeMrkdwn(ev.reasons.join('; ')), 600)}` : '';
    lines.push(`_go/no-go ${ev.verdict}${why}_`);
  }
  return lines.join('\n');
}

/** Newest first; entries with the same (or an unreadable) time keep their order. */
export function newestFirst(entries: AuditEntry[]): AuditEntry[] {
  const time = (e: AuditEntry) => {
    const t = new Date(e.at).getTime();
    return Number.isNaN(t) ? -Infinity : t;
  };
  // Stable: entries with the same (or an unreadable) time keep the store's order, which is already newest first.
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => time(b.e) - time(a.e) || a.i - b.i)
    .map(({ e }) => e);
}

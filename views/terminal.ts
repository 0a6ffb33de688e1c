// The break-glass command line's output (`mcp-canary status|rollback|history`): the same words as the Slack
// views, as plain text lines for a terminal. Pure: data in, lines out. Where a sentence is the same as in
// Slack it comes from the Slack view's own helper (weightLine, criterionLine, guardText, auditEntryText, the
// whole rollback message...) through `plainText`, which turns the views' mrkdwn into terminal text, so the
// two never drift apart.
import type { AuditEntry, RollbackOutcome } from '../src/core/entities.js';
import type { StatusReport } from '../src/core/status.js';
import { bullets, escapeMrkdwn, plainTime, truncate, type Message } from './blocks.js';
import { criterionLine, FAIL, mark, PASS, ruleCheckLine, transition, verdictBadge } from './evidence.js';
import { guardText } from './guard.js';
import { auditEntryText, newestFirst, storeErrorText } from './history.js';
import { checklistLines } from './lifecycle.js';
import { renderRollbackOutcome } from './rollback.js';
import { routeLabel } from './route.js';
import { muted, rampFields, routeWarnings, severityIcon, weightLine } from './status.js';

/** The emoji shortcodes the views write, as the characters a terminal shows. Others stay as they are. */
const EMOJI: Record<string, string> = {
  rewind: '⏪',
  information_source: 'ℹ️',
  rotating_light: '🚨',
  warning: '⚠️',
  hourglass_flowing_sand: '⏳',
  hourglass: '⌛',
  large_green_circle: '🟢',
  red_circle: '🔴',
  no_entry: '⛔',
  grey_question: '❔',
  no_bell: '🔕',
  bell: '🔔',
  shield: '🛡️',
  eyes: '👀',
  white_check_mark: '✅',
  x: '❌',
  arrow_down: '⬇️',
  mag: '🔍',
  ok_hand: '👌',
  broom: '🧹',
  checkered_flag: '🏁',
  construction: '🚧',
  arrows_counterclockwise: '🔄',
  test_tube: '🧪',
};

const CODE_FENCE = /```([\s\S]*?)```/g;

/**
 * A view's mrkdwn as terminal text: Slack's date tokens become their fallback (UTC), mentions `@U…`, links
 * `label (url)`, `*bold*` and `_italic_` lose their markers (only around words: identifiers keep their
 * underscores), the views' emoji shortcodes become emoji, code blocks are indented, entities are decoded.
 */
export function plainText(mrkdwn: string): string {
  let s = mrkdwn
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<@([UW][A-Z0-9]+)>/g, '@$1')
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>/g, (_, id: string, label?: string) => label ?? `@${id}`)
    .replace(/<!(channel|here|everyone)>/g, '@$1')
    .replace(/<(https?:[^|>]+)\|([^>]*)>/g, '$2 ($1)')
    .replace(/<(https?:[^|>]+)>/g, '$1');
  s = s.replace(CODE_FENCE, (_, code: string) => `\n${code.split('\n').map((line) => `    ${line}`).join('\n')}\n`).replace(/\n{2,}/g, '\n');
  s = s
    .replace(/(^|[\s(\u2022])\*([^*\n]+)\*(?=$|[\s).,:;!?\u2026])/gm, '$1$2')
    .replace(/(^|[\s(\u2022])_([^_\n]+)_(?=$|[\s).,:;!?\u2026])/gm, '$1$2')
    .replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole);
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/^\n+|\n+$/g, '');
}

/** Every text of a Block Kit message, in order, as terminal lines (buttons are Slack's, they are left out). */
export function messageLines(message: Message): string[] {
  const lines: string[] = [];
  for (const block of message.blocks) {
    const b = block as { type: string; text?: { text?: string }; fields?: Array<{ text: string }>; elements?: Array<{ text?: unknown }> };
    if (b.type === 'header' && b.text?.text) lines.push(plainText(b.text.text), '');
    else if (b.type === 'section') {
      if (b.text?.text) lines.push(...plainText(b.text.text).split('\n'));
      for (const field of b.fields ?? []) lines.push(...plainText(field.text).split('\n'));
    } else if (b.type === 'context') {
      const texts = (b.elements ?? []).map((e) => (typeof e.text === 'string' ? plainText(e.text) : '')).filter(Boolean);
      if (texts.length) lines.push(texts.join(' · '));
    } else if (b.type === 'divider') lines.push('');
  }
  while (lines.at(-1) === '') lines.pop();
  return lines;
}

/** `label: value` with the value's further lines indented under it. */
function labelled(label: string, value: string): string[] {
  const [first = '', ...rest] = plainText(value).split('\n');
  return [`${plainText(label)}: ${first}`, ...rest.map((line) => `  ${line}`)];
}

/** What the Slack status shows, for a terminal: weight and step, verdict, ramp, criteria, alerts, guard, pending request. */
export function statusLines(report: StatusReport): string[] {
  const { goNoGo } = report;
  const where = `${routeLabel(report.routeRef)} in \`${escapeMrkdwn(report.routeRef.namespace)}\` (${escapeMrkdwn(report.routeRef.router)})`;
  const out: string[] = [`MCP canary status${report.dryRun ? ' · DRY RUN' : ''} (${plainTime(report.at)})`, ''];

  out.push(...labelled('Phase', escapeMrkdwn(report.phase.label)));
  out.push(plainText(weightLine(report)));
  out.push(
    ...plainText(
      goNoGo.verdict === 'GO'
        ? `${verdictBadge('GO')} — every go/no-go criterion passes`
        : `${verdictBadge('NO-GO')} — ${goNoGo.reasons.length || 'no'} reason${goNoGo.reasons.length === 1 ? '' : 's'}:\n${bullets(goNoGo.reasons, { maxItems: 12, maxItemChars: 300 })}`,
    ).split('\n'),
  );
  for (const warning of routeWarnings(report.route, where)) out.push(...plainText(warning).split('\n'));

  out.push('');
  for (const [label, value] of rampFields(report)) out.push(...labelled(label, value));
  out.push(...labelled('Rust deployment', rustLine(report)));
  out.push(...labelled('Approval request', pendingLine(report)));

  out.push('', plainText(`*Go/no-go criteria* (checked ${plainTime(goNoGo.evaluatedAt)})`));
  if (goNoGo.criteria.length) out.push(...goNoGo.criteria.map((c) => `  ${plainText(criterionLine(c))}`));
  else out.push('  no criteria evaluated');

  const alerts = [...goNoGo.firingAlerts, ...goNoGo.pausingAlerts.filter((p) => !goNoGo.firingAlerts.some((f) => f.fingerprint === p.fingerprint))];
  if (alerts.length) {
    out.push('', `Firing alerts (${alerts.length})`);
    for (const a of alerts) {
      const summary = a.summary ? ` — ${truncate(escapeMrkdwn(a.summary), 200)}` : '';
      out.push(...plainText(`${severityIcon(a)} *${escapeMrkdwn(a.name)}* (${escapeMrkdwn(a.severity)}) since ${plainTime(a.startsAt)}${summary}${muted(a)}`).split('\n').map((l) => `  ${l.trim()}`));
    }
  }

  const [guardTitle = '', ...guardRest] = plainText(guardText(report.guard)).split('\n');
  out.push('', guardTitle, ...guardRest.map((line) => `  ${line}`));

  if (report.checklist?.length) {
    out.push('', report.phase.name === 'shadow' ? 'Before starting the canary' : 'Before the cleanup (/mcp-canary finalize, in Slack)');
    out.push(...plainText(checklistLines(report.checklist)).split('\n').map((line) => `  ${line}`));
  }

  if (report.next) {
    const { targetPercent, assessment } = report.next;
    out.push(
      '',
      `Next step ${transition(report.percent ?? 0, targetPercent)}: ${
        assessment.allowed ? `${PASS} can be requested now, in Slack only (/mcp-canary promote; another approver must approve)` : `${FAIL} not yet`
      }`,
    );
    out.push(...assessment.checks.map((c) => `  ${plainText(ruleCheckLine(c))}`));
  }
  out.push('', plainText(`Checked ${plainTime(report.at)} · ${where}${report.dryRun ? ' · DRY RUN' : ''}`));
  return out;
}

function rustLine(report: StatusReport): string {
  const { rust } = report;
  if ('error' in rust) return `${FAIL} Kubernetes: could not read ${escapeMrkdwn(report.targets.rustDeployment)}: ${truncate(escapeMrkdwn(rust.error), 400)}`;
  const ready = rust.desired > 0 && rust.ready >= rust.desired;
  return `${mark(ready)} ${escapeMrkdwn(rust.name)}: ${rust.ready}/${rust.desired} ready${rust.desired === 0 ? ' (scaled to 0)' : ''} · rollout ${rust.rolloutComplete ? 'complete' : 'not complete'}`;
}

function pendingLine(report: StatusReport): string {
  const p = report.pending;
  if (p) return `:hourglass_flowing_sand: ${escapeMrkdwn(p.requestedBy)} asked for ${transition(p.fromPercent, p.toPercent)} (request ${escapeMrkdwn(p.id)}), expires ${plainTime(p.expiresAt)}`;
  if (report.pendingError) return `:warning: unknown: state store unreachable (${truncate(escapeMrkdwn(report.pendingError), 300)})`;
  return 'none pending';
}

/** Where the rollback's audit entry and announcement went (the command line's own facts). */
export interface RollbackDelivery {
  /** `store`: written to the shared state store; `file`: the store did not answer, written to this file instead. */
  audit: { kind: 'store' } | { kind: 'file'; path: string; why: string } | { kind: 'lost'; why: string; entries: string[] };
  /** Posted in SLACK_CHANNEL, or why not. */
  announcement: { kind: 'posted'; channel: string } | { kind: 'not-posted'; why: string } | { kind: 'not-needed' };
  /** The pending increase the rollback cancelled, if any. */
  cancelledRequest?: string;
}

/** The rollback's outcome in the very words of the channel message, then where its audit and announcement went. */
export function rollbackLines(outcome: RollbackOutcome, delivery?: RollbackDelivery): string[] {
  const out = messageLines(renderRollbackOutcome(outcome));
  if (!delivery) return out;
  out.push('');
  if (delivery.cancelledRequest) out.push(`Pending request ${delivery.cancelledRequest} cancelled (a rollback cancels the pending increase).`);
  const { audit, announcement } = delivery;
  if (audit.kind === 'store') out.push('Audit: written to the state store (Redis): /mcp-canary history shows it.');
  else if (audit.kind === 'file') out.push(`Audit: ${audit.why}; written to the local file ${audit.path} instead. Keep it with the incident notes.`);
  else out.push(`Audit: ${audit.why}; the entry is only here:`, ...audit.entries.map((e) => `    ${e}`));
  if (announcement.kind === 'posted') out.push(`Announced in Slack (${announcement.channel}).`);
  else if (announcement.kind === 'not-posted') out.push(`Not announced in Slack: ${announcement.why}. Tell the channel yourself when it is back.`);
  return out;
}

/** `mcp-canary history`: newest first, each entry as `/mcp-canary history` shows it. */
export function historyLines(entries: AuditEntry[], opts: { storeError?: string; limit?: number } = {}): string[] {
  const shown = newestFirst(entries).slice(0, opts.limit ?? 20);
  const out: string[] = [];
  if (opts.storeError) out.push(plainText(storeErrorText(opts.storeError)), '');
  if (!shown.length) {
    out.push('No audited actions yet.');
    return out;
  }
  out.push(`Canary audit history (last ${shown.length}, newest first)`, '');
  for (const entry of shown) {
    const [first = '', ...rest] = plainText(auditEntryText(entry)).split('\n');
    out.push(first, ...rest.map((line) => `    ${line}`));
  }
  return out;
}

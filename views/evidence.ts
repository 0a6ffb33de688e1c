// Go/no-go evidence as mrkdwn lines, shared by status, approval messages, replies and history.
import type { RuleCheck } from '../src/core/go-no-go.js';
import type { EvidenceSnapshot } from '../src/core/entities.js';
import { formatPercent } from '../src/core/format.js';
import { bullets, escapeMrkdwn, slackTime, truncate } from './blocks.js';

export const PASS = '✅';
export const FAIL = '❌';

export function mark(pass: boolean): string {
  return pass ? PASS : FAIL;
}

/** ":large_green_circle: *GO*" / ":red_circle: *NO-GO*". */
export function verdictBadge(verdict: 'GO' | 'NO-GO'): string {
  return verdict === 'GO' ? ':large_green_circle: *GO*' : ':red_circle: *NO-GO*';
}

/** `✅ Rust error rate (5m): *0.05%* (< 0.1%)`, or `(must be none)` for a threshold that is not a comparison; escaped. */
export function criterionLine(c: { label: string; value: string; threshold: string; pass: boolean }): string {
  const threshold = /^\s*[<>=\u2264\u2265]/.test(c.threshold) ? c.threshold : `must be ${c.threshold}`;
  return `${mark(c.pass)} ${truncate(escapeMrkdwn(c.label), 150)}: *${truncate(escapeMrkdwn(c.value), 300)}* (${truncate(escapeMrkdwn(threshold), 150)})`;
}

/** `Business window: closed (…), opens <date>`, escaped; the time in the reader's time zone. */
export function ruleCheckText(c: RuleCheck): string {
  return `${truncate(escapeMrkdwn(c.label), 150)}: ${truncate(escapeMrkdwn(c.detail), 500)}${c.opensAt ? `, opens ${slackTime(c.opensAt)}` : ''}`;
}

/** `✅ Hold 48h at step: held 2d 1h`, escaped. */
export function ruleCheckLine(c: RuleCheck): string {
  return `${mark(c.pass)} ${ruleCheckText(c)}`;
}

/** Why an increase is refused: each failing check (with its time, when it has one), escaped. */
export function failingChecksText(checks: RuleCheck[], maxItems = 12): string {
  return bullets(checks.filter((c) => !c.pass).map(ruleCheckText), { maxItems, maxItemChars: 600, escape: (s) => s });
}

/** Verdict, time, every criterion and every reason of a snapshot. */
export function evidenceText(evidence: EvidenceSnapshot, title: string): string {
  const lines = [`*${title}* (${slackTime(evidence.evaluatedAt)}): ${verdictBadge(evidence.verdict)}`];
  lines.push(...evidence.criteria.slice(0, 12).map(criterionLine));
  if (evidence.criteria.length > 12) lines.push(`…and ${evidence.criteria.length - 12} more criteria`);
  if (evidence.verdict === 'NO-GO' || evidence.reasons.length) {
    lines.push(evidence.reasons.length ? `*Why NO-GO:*\n${bullets(evidence.reasons, { maxItems: 10, maxItemChars: 300 })}` : '*Why NO-GO:* no reason recorded');
  }
  return lines.join('\n');
}

export function transition(from: number, to: number): string {
  return `${formatPercent(from)} → ${formatPercent(to)}`;
}

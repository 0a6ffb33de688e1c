// The daily go/no-go digest (cron `DIGEST_CRON` or `/mcp-canary digest`): one message in the channel, the chart
// in its thread. Recommended action first, then where the ramp stands, the last 24 h of each criterion, the
// alerts of the last 48 h, and readiness for the next step with every reason it is not ready.
import type { Button, KnownBlock } from '@slack/types';
import { canRequestNext, type DigestReport, type Recommendation, type WindowedCriterion } from '../src/core/digest.js';
import { formatDuration, formatPercent } from '../src/core/format.js';
import { rollbackButtonValue } from './action-ids.js';
import {
  actions,
  bullets,
  context,
  divider,
  dryRunContext,
  escapeMrkdwn,
  fields,
  header,
  LIMITS,
  mention,
  message,
  rollbackButton,
  section,
  slackTime,
  truncate,
  type Message,
} from './blocks.js';
import { criterionLine, failingChecksText, FAIL, PASS, ruleCheckLine, transition, verdictBadge } from './evidence.js';
import { guardText } from './guard.js';
import { rampFields, requestNextButton, severityIcon, weightLine } from './status.js';

export interface DigestViewOptions {
  dryRun: boolean;
  /** 'in-thread' once the chart is (about to be) posted in the message's thread, else why it is missing. */
  chart: 'in-thread' | { missing: string };
}

const MAX_CRITERIA = 12;
const MAX_ALERTS = 15;
const MAX_REASONS = 15;

export function renderDigest(report: DigestReport, opts: DigestViewOptions): Message {
  const { status } = report;
  const blocks: KnownBlock[] = [header(`Go/no-go digest — ${dateLabel(report.date)}${opts.dryRun ? ' · DRY RUN' : ''}`)];

  // 1. What to do, before anything else.
  blocks.push(section(`:point_right: *Recommended action:* ${truncate(escapeMrkdwn(recommendationText(report.recommendation)), 1500)}`));

  // 2. Where the ramp stands.
  blocks.push(
    section(
      [
        `*Phase:* ${truncate(escapeMrkdwn(report.phase.label), 200)}`,
        `*Weight:* ${weightLine(status)}`,
        `*Go/no-go now:* ${verdictBadge(status.goNoGo.verdict)} (checked ${slackTime(status.goNoGo.evaluatedAt)})`,
      ].join('\n'),
    ),
  );
  blocks.push(...fields(rampFields(status)));
  blocks.push(divider());

  // 3. The last 24 h of each criterion, the shadow rates, the alerts of the last 48 h.
  blocks.push(...linesSections('*Each criterion over the last 24 h* (now · worst · time in breach)', criteriaLines(report.criteria24h)));
  if (report.shadow) blocks.push(...linesSections('*Shadow traffic*', shadowLines(report.shadow)));
  blocks.push(section(alertsText(report.alerts48h)));
  blocks.push(section(guardText(status.guard)));
  blocks.push(divider());

  // 4. Readiness for the next step, with every reason it is not ready.
  blocks.push(...linesSections(readinessTitle(report), readinessLines(report)));

  const buttons: Button[] = [];
  if (canRequestNext(report.recommendation) && status.next && !status.pending) buttons.push(requestNextButton(status.next.targetPercent));
  buttons.push(rollbackButton(rollbackButtonValue('digest')));
  blocks.push(actions(buttons));

  const chart =
    opts.chart === 'in-thread'
      ? ':chart_with_upwards_trend: Chart of the last 48 h (error rate, p99 ratio, weight changes) in the thread'
      : `:warning: Chart missing: ${truncate(escapeMrkdwn(opts.chart.missing), 500)}`;
  blocks.push(context([chart, `Generated ${slackTime(report.at)}${opts.dryRun ? ' · *DRY RUN*' : ''}`]));
  if (opts.dryRun) blocks.push(dryRunContext());

  return message(fallbackText(report, opts.dryRun), blocks);
}

/** The recommended action in one sentence, e.g. "Hold: 22h left at 5% before 10%." (plain text, not escaped). */
export function recommendationText(r: Recommendation): string {
  switch (r.kind) {
    case 'fix-route-access':
      return `Fix access to the canary route first (${r.error}).`;
    case 'roll-back':
      return `Roll back now: ${r.breaches.map((c) => `${c.label} ${c.value} (rollback when ${c.threshold})`).join('; ')}.`;
    case 'roll-back-critical':
      return `Roll back now: critical alert firing (${r.alerts.join(', ')}).`;
    case 'watch-primary':
      return 'Rust is primary: keep watching; cleanup after 14 days at 100%.';
    case 'nothing-to-ramp':
      return 'Nothing to ramp.';
    case 'request-next':
      return `Request the next step: ${formatPercent(r.fromPercent)} → ${formatPercent(r.toPercent)}.`;
    case 'hold-investigate':
      return `Hold at ${formatPercent(r.percent)} and investigate: ${r.reasons.join('; ')}. Roll back if it gets worse.`;
    case 'hold':
      return `Hold: ${formatDuration(r.remainingMs)} left at ${formatPercent(r.percent)} before ${formatPercent(r.toPercent)}.`;
    case 'not-yet':
      return `Not yet: ${r.reasons.join('; ')}.`;
  }
}

/** `✅ Rust error rate (5m): *0.02%* (< 0.1%) · worst *0.08%* · in breach 0s`, plus data gaps and read errors. */
function criteriaLines(criteria: WindowedCriterion[]): string[] {
  if (!criteria.length) return ['_no criteria evaluated_'];
  const lines = criteria.slice(0, MAX_CRITERIA).map((c) => {
    let line = `${criterionLine({ label: c.label, value: c.current, threshold: c.threshold, pass: c.pass })} · worst *${truncate(escapeMrkdwn(c.worst), 300)}*${c.breachMs === undefined ? '' : ` · in breach ${formatDuration(c.breachMs)}`}`;
    if (c.gapShare > 0) line += ` · :warning: ${gapText(c.gapShare)}`;
    if (c.error) line += `\n      :warning: ${truncate(escapeMrkdwn(c.error), 400)}`;
    return line;
  });
  if (criteria.length > MAX_CRITERIA) lines.push(`…and ${criteria.length - MAX_CRITERIA} more criteria`);
  return lines;
}

/** "no data for 12% of the window", never "0%" for a small gap. */
function gapText(share: number): string {
  if (share >= 1) return 'no data for the whole window';
  const percent = Math.round(share * 100);
  return `no data for ${percent < 1 ? '&lt; 1' : Math.min(percent, 99)}% of the window`;
}

function shadowLines(shadow: NonNullable<DigestReport['shadow']>): string[] {
  const lines = shadow.rates.slice(0, MAX_CRITERIA).map((r) => {
    const line = criterionLine({ label: r.label, value: r.display, threshold: r.threshold, pass: r.pass });
    return r.error ? `${line}\n      :warning: ${truncate(escapeMrkdwn(r.error), 400)}` : line;
  });
  if (!shadow.rates.length) lines.push('_no shadow rates read_');
  if (shadow.rates.length > MAX_CRITERIA) lines.push(`…and ${shadow.rates.length - MAX_CRITERIA} more rates`);
  if (shadow.exit) lines.push(`*Exit criterion:* ${truncate(escapeMrkdwn(shadow.exit), 500)}`);
  return lines;
}

function alertsText(alerts48h: DigestReport['alerts48h']): string {
  const title = '*Alerts fired in the last 48 h*';
  if (!alerts48h.ok) return `${title}: :warning: unknown, could not be read: ${truncate(escapeMrkdwn(alerts48h.reason), 600)}`;
  if (!alerts48h.alerts.length) return `${title}: ${PASS} none`;
  // One line per alert name and severity (Prometheus returns one series per instance), critical first.
  const counts = new Map<string, { name: string; severity: string; critical: boolean; count: number }>();
  for (const a of alerts48h.alerts) {
    const key = `${a.severity}\u0000${a.name}`;
    const entry = counts.get(key) ?? { name: a.name, severity: a.severity, critical: a.critical, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  const rank = (a: { severity: string; critical: boolean }) => (a.critical ? 0 : a.severity === 'warning' ? 1 : 2);
  const sorted = [...counts.values()].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  const lines = sorted
    .slice(0, MAX_ALERTS)
    .map((a) => `${severityIcon(a)} *${truncate(escapeMrkdwn(a.name), 120)}* (${truncate(escapeMrkdwn(a.severity), 40)})${a.count > 1 ? ` ×${a.count}` : ''}`);
  if (sorted.length > MAX_ALERTS) lines.push(`…and ${sorted.length - MAX_ALERTS} more`);
  return `${title} (${sorted.length}):\n${lines.join('\n')}`;
}

function readinessTitle(report: DigestReport): string {
  const { status } = report;
  if ('error' in status.route) return `*Readiness for the next step:* ${FAIL} unknown (the canary route could not be read)`;
  if (!status.next) return `*Readiness for the next step:* none, last step of the ramp reached (${formatPercent(status.percent ?? 100)})`;
  const move = transition(status.percent ?? 0, status.next.targetPercent);
  return `*Readiness for the next step (${move}):* ${
    status.next.assessment.allowed ? `${PASS} can be requested now (another approver must approve)` : `${FAIL} not yet`
  }`;
}

/** The go/no-go verdict with every reason, every ramp rule that is not met, the next phase's checklist, the pending request. */
function readinessLines(report: DigestReport): string[] {
  const { status } = report;
  const { goNoGo } = status;
  const lines: string[] = [];

  const nogo = goNoGo.reasons;
  lines.push(
    goNoGo.verdict === 'GO'
      ? `*Go/no-go:* ${verdictBadge('GO')}, every criterion passes`
      : `*Go/no-go:* ${verdictBadge('NO-GO')}, ${nogo.length || 'no'} reason${nogo.length === 1 ? '' : 's'}:${nogo.length ? `\n${reasonBullets(nogo)}` : ''}`,
  );

  // The ramp rules not met; the "Go/no-go: NO-GO: …" rule only repeats the reasons listed just above.
  const ramp = (status.next?.assessment.checks ?? []).filter((c) => !c.pass && c.label !== 'Go/no-go');
  if (ramp.length) lines.push(`*Ramp rules not met (${ramp.length}):*\n${failingChecksText(ramp, MAX_REASONS)}`);

  if (status.checklist?.length) {
    lines.push(`*Before the next phase:*\n${status.checklist.slice(0, MAX_REASONS).map(ruleCheckLine).join('\n')}`);
    if (status.checklist.length > MAX_REASONS) lines.push(`…and ${status.checklist.length - MAX_REASONS} more`);
  }

  if (status.pending) {
    const p = status.pending;
    lines.push(
      `:hourglass_flowing_sand: *Approval request pending:* ${mention(p.requestedBy)} asked for ${transition(p.fromPercent, p.toPercent)}, expires ${slackTime(p.expiresAt)}`,
    );
  } else if (status.pendingError) {
    lines.push(`:warning: *Pending approval request unknown:* state store unreachable (${truncate(escapeMrkdwn(status.pendingError), 300)})`);
  }
  return lines;
}

function reasonBullets(reasons: string[]): string {
  return bullets(reasons, { maxItems: MAX_REASONS, maxItemChars: 400 });
}

/**
 * A title and its lines in as few sections as fit (3000 characters each): a long list is split between lines
 * rather than cut in the middle of one; a single line too long for a section is shortened. The message stays
 * within 50 blocks however many lines (each list is capped before it gets here; `message` is the safety net).
 */
function linesSections(title: string, lines: string[]): KnownBlock[] {
  const out: KnownBlock[] = [];
  let current = title;
  for (const line of lines) {
    if (current && current.length + 1 + line.length > LIMITS.sectionText) {
      out.push(section(current));
      current = line;
    } else {
      current = current ? `${current}\n${line}` : line;
    }
  }
  if (current) out.push(section(current));
  return out;
}

/** "Go/no-go digest 2026-11-24: NO-GO, canary 5% (step 2 of 6)". */
function fallbackText(report: DigestReport, dryRun: boolean): string {
  const { status } = report;
  const { route } = status;
  let where: string;
  if ('error' in route) where = 'canary weight unknown (Kubernetes: could not read the canary route)';
  else if (!route.exists) where = 'canary 0% (no canary route)';
  else {
    const pos = status.position;
    const step = pos ? (pos.stepNumber === 0 ? ' (not started)' : ` (step ${pos.stepNumber} of ${pos.stepCount})`) : '';
    where = `canary ${formatPercent(status.percent ?? 0)}${step}`;
  }
  return `Go/no-go digest ${dateLabel(report.date)}: ${status.goNoGo.verdict}, ${where}${dryRun ? ' · DRY RUN' : ''}`;
}

/** The digest's date ("2026-11-24", made by the core) as shown in the header and the fallback: never a Slack token. */
function dateLabel(date: string): string {
  return truncate(date.replace(/[<>&]/g, ''), 40);
}

/** The chart's title in the digest's thread. */
export function digestChartTitle(report: DigestReport): string {
  return `Go/no-go, last 48 h (${report.phase.label})`;
}

// `/mcp-canary status` (and the Refresh button): the live picture, verdict first.
import type { Button, KnownBlock } from '@slack/types';
import type { CanaryRoute, FiringAlert } from '../src/core/entities.js';
import { formatDuration, formatPercent } from '../src/core/format.js';
import type { StatusReport } from '../src/core/status.js';
import { ACTION, rollbackButtonValue } from './action-ids.js';
import { checklistLines } from './lifecycle.js';
import {
  actions,
  bullets,
  button,
  context,
  divider,
  dryRunContext,
  escapeMrkdwn,
  fields,
  header,
  mention,
  message,
  progressBar,
  rollbackButton,
  section,
  slackTime,
  truncate,
  type Message,
} from './blocks.js';
import { criterionLine, FAIL, mark, PASS, ruleCheckLine, transition, verdictBadge } from './evidence.js';
import { guardText } from './guard.js';
import { routeApplyButton, routeLabel, routingRuleText } from './route.js';

const MAX_ALERTS = 10;

export function renderStatus(report: StatusReport): Message {
  const { route, goNoGo } = report;
  const where = `${routeLabel(report.routeRef)} in \`${escapeMrkdwn(report.routeRef.namespace)}\` (${escapeMrkdwn(report.routeRef.router)})`;
  const blocks: KnownBlock[] = [header(`MCP canary status${report.dryRun ? ' · DRY RUN' : ''}`)];

  // 1. Weight, step and verdict: what a reader needs first.
  const headline: string[] = [`*Phase:* ${escapeMrkdwn(report.phase.label)}`, weightLine(report)];
  const reasons = goNoGo.reasons;
  headline.push(
    goNoGo.verdict === 'GO'
      ? `${verdictBadge('GO')} — every go/no-go criterion passes`
      : `${verdictBadge('NO-GO')} — ${reasons.length || 'no'} reason${reasons.length === 1 ? '' : 's'}:\n${bullets(reasons, { maxItems: 12, maxItemChars: 300 })}`,
  );
  blocks.push(section(headline.join('\n')));

  // 2. The route itself, when it is not the plain weight-only canary we expect.
  const warnings = routeWarnings(route, where);
  if (warnings.length) blocks.push(section(warnings.join('\n')));

  // 3. The ramp, the window, the deployment, the pending request: two columns.
  blocks.push(...fields(overviewFields(report)));
  blocks.push(divider());

  // 4. Each criterion with its live value and threshold.
  const criteria = goNoGo.criteria.map(criterionLine);
  blocks.push(section(`*Go/no-go criteria* (checked ${slackTime(goNoGo.evaluatedAt)})\n${criteria.join('\n') || '_no criteria evaluated_'}`));

  const alerts = [...goNoGo.firingAlerts, ...goNoGo.pausingAlerts.filter((p) => !goNoGo.firingAlerts.some((f) => f.fingerprint === p.fingerprint))];
  if (alerts.length) blocks.push(section(alertsText(alerts)));

  // 5. The guard: the runbook's rollback conditions, watched by the bot.
  blocks.push(section(guardText(report.guard)));

  // 6. The prerequisites of the next phase (shadow → canary, primary → cleanup), with live marks.
  if (report.checklist?.length) {
    const next = report.phase.name === 'shadow' ? 'Before starting the canary' : 'Before the cleanup (`/mcp-canary finalize`)';
    blocks.push(section(`*${next}*\n${checklistLines(report.checklist)}`));
  }

  // 7. The next step: every ramp rule, and whether it can be requested.
  if (report.next) {
    const { targetPercent, assessment } = report.next;
    const from = report.percent ?? 0;
    const title = `*Next step ${transition(from, targetPercent)}*: ${
      assessment.allowed ? `${PASS} can be requested now (another approver must approve)` : `${FAIL} not yet`
    }`;
    blocks.push(section([title, ...assessment.checks.map(ruleCheckLine)].join('\n')));
  }
  const offer = nextStepOffer(report);
  if (offer.notOffered.length) blocks.push(context(offer.notOffered));

  const buttons: Button[] = offer.button ? [offer.button] : [];
  // After a rollback removed the canary route, the way back is one click (approvers only).
  if (!('error' in route) && !route.exists) buttons.push(routeApplyButton(report.routeRef, report.dryRun));
  buttons.push(button({ text: ':arrows_counterclockwise: Refresh', actionId: ACTION.refreshStatus, value: 'refresh' }));
  buttons.push(rollbackButton(rollbackButtonValue('status')));
  blocks.push(actions(buttons));

  blocks.push(context([`Checked ${slackTime(report.at)} · ${where}${report.dryRun ? ' · *DRY RUN*' : ''}`]));
  if (report.dryRun) blocks.push(dryRunContext());

  return message(fallbackText(report), blocks);
}

/** `*5%* of traffic to Rust — ▰▰▱▱▱▱ step 2 of 6`, or why the weight is unknown. */
export function weightLine(report: StatusReport): string {
  const { route } = report;
  if ('error' in route) {
    return `${FAIL} *Weight unknown.* Kubernetes: could not read ${routeLabel(report.routeRef)}: ${truncate(escapeMrkdwn(route.error), 600)}`;
  }
  const percent = report.percent ?? 0;
  const pos = report.position;
  let line = route.exists ? `*${formatPercent(percent)}* of traffic to Rust` : '*0%* of traffic to Rust (no canary route)';
  if (pos) line += ` — ${progressBar(pos.stepNumber, pos.stepCount)}`;
  if (pos && !pos.onStep && percent > 0) line += ` (${formatPercent(percent)} is between ramp steps)`;
  return line;
}

/** The primary "Request next step (→ 10%)" button; the value is the target percentage. */
export function requestNextButton(targetPercent: number): Button {
  return button({
    text: `Request next step (→ ${formatPercent(targetPercent)})`,
    actionId: ACTION.requestNext,
    value: String(targetPercent),
    style: 'primary',
  });
}

/**
 * The Request-next-step button when the next step can be requested now (every ramp rule passes and no request
 * is pending), else the reasons it is not offered (for a context line).
 */
export function nextStepOffer(report: StatusReport): { button?: Button; notOffered: string[] } {
  const { route } = report;
  const notOffered: string[] = [];
  if (report.next) {
    const { targetPercent, assessment } = report.next;
    if (report.pending) {
      notOffered.push(
        `Request next step not offered: ${mention(report.pending.requestedBy)} already asked for ${transition(report.pending.fromPercent, report.pending.toPercent)} (one request at a time).`,
      );
    } else if (!assessment.allowed) {
      const failing = assessment.checks.filter((c) => !c.pass).map((c) => truncate(escapeMrkdwn(c.label), 80));
      notOffered.push(`Request next step not offered until every check passes (failing: ${failing.join(', ') || 'see above'}).`);
    } else {
      return { button: requestNextButton(targetPercent), notOffered };
    }
  } else if ('error' in route) {
    notOffered.push('Request next step not offered: the canary route could not be read.');
  } else if (report.position?.isFinal) {
    notOffered.push(`At the last step of the ramp (${formatPercent(report.percent ?? 100)}): nothing to promote.`);
  }
  return { notOffered };
}

function overviewFields(report: StatusReport): Array<[string, string]> {
  const { rust, targets } = report;
  const pairs = rampFields(report);

  if ('error' in rust) {
    pairs.push(['Rust deployment', `${FAIL} Kubernetes: could not read ${escapeMrkdwn(targets.rustDeployment)}: ${truncate(escapeMrkdwn(rust.error), 400)}`]);
  } else {
    const ready = rust.desired > 0 && rust.ready >= rust.desired;
    pairs.push([
      `Rust deployment`,
      `${mark(ready)} ${truncate(escapeMrkdwn(rust.name), 100)}: *${rust.ready}/${rust.desired}* ready${rust.desired === 0 ? ' (scaled to 0)' : ''} · rollout ${
        rust.rolloutComplete ? 'complete' : 'not complete'
      }`,
    ]);
  }

  if (report.pending) {
    const p = report.pending;
    pairs.push([
      'Approval request',
      `:hourglass_flowing_sand: ${mention(p.requestedBy)} asked for ${transition(p.fromPercent, p.toPercent)}, expires ${slackTime(p.expiresAt)}`,
    ]);
  } else if (report.pendingError) {
    pairs.push(['Approval request', `:warning: unknown: state store unreachable (${truncate(escapeMrkdwn(report.pendingError), 300)})`]);
  } else {
    pairs.push(['Approval request', 'none pending']);
  }
  return pairs;
}

/** The ramp facts as label/value pairs: time at this step, hold left, next step, business window. */
export function rampFields(report: StatusReport): Array<[string, string]> {
  const { route, hold, window } = report;
  const pairs: Array<[string, string]> = [];
  const canaryRead = !('error' in route);

  // Time at this step and hold left.
  let atStep: string;
  let holdLeft: string;
  if (!canaryRead || !hold) {
    atStep = 'unknown (canary route not read)';
    holdLeft = `${FAIL} unknown`;
  } else if (hold.unknownReason) {
    atStep = `:warning: unknown: ${truncate(escapeMrkdwn(hold.unknownReason), 400)}`;
    holdLeft = `${FAIL} cannot be confirmed`;
  } else if (hold.heldMs === undefined) {
    atStep = '— (at 0%)';
    holdLeft = `${PASS} not needed from 0%`;
  } else {
    atStep = `${formatDuration(hold.heldMs)}${hold.since ? ` (since ${slackTime(hold.since)})` : ''}`;
    const remaining = hold.remainingMs ?? 0;
    holdLeft =
      remaining > 0
        ? `:hourglass_flowing_sand: *${formatDuration(remaining)} left*${hold.since ? ` (until ${slackTime(new Date(hold.since.getTime() + report.stepMinHoldMs))})` : ''}`
        : `${PASS} done`;
  }
  pairs.push(['Time at this step', atStep]);
  pairs.push([`Hold (${formatDuration(report.stepMinHoldMs)} per step)`, holdLeft]);

  const pos = report.position;
  pairs.push([
    'Next step',
    !canaryRead || !pos ? 'unknown' : pos.nextStep !== undefined ? `*${formatPercent(pos.nextStep)}*` : 'none: last step reached',
  ]);

  const desc = truncate(escapeMrkdwn(window.description), 200);
  pairs.push([
    'Business window',
    window.open ? `${PASS} open · ${desc}` : `${FAIL} closed · ${desc}${window.nextOpening ? `\nopens ${slackTime(window.nextOpening)}` : ''}`,
  ]);
  return pairs;
}

/**
 * :rotating_light: critical (as the core marked it: ALERT_CRITICAL_SEVERITY), :warning: warning, :bell: anything
 * else. A bare severity (a caller without the core's mark) counts as critical only when it says "critical".
 */
export function severityIcon(alert: string | { severity: string; critical?: boolean }): string {
  const { severity, critical } = typeof alert === 'string' ? { severity: alert, critical: alert === 'critical' } : alert;
  return critical ? ':rotating_light:' : severity === 'warning' ? ':warning:' : ':bell:';
}

/** A silenced or inhibited alert still blocks: say who muted it, until when, and that it still counts. */
export function muted(alert: FiringAlert): string {
  if (!alert.suppressed) return '';
  const silences = alert.suppressed.silences.map((s) => {
    const by = s.createdBy ? ` by ${truncate(escapeMrkdwn(s.createdBy), 120)}` : '';
    return `silenced${by}${s.endsAt ? ` until ${slackTime(s.endsAt)}` : ''}`;
  });
  if (alert.suppressed.inhibited) silences.push('inhibited by another alert');
  return `\n      :no_bell: ${silences.join('; ')}: notifications muted, still firing for the go/no-go`;
}

function alertsText(alerts: FiringAlert[]): string {
  const lines = alerts.slice(0, MAX_ALERTS).map((a) => {
    const summary = a.summary ? ` — ${truncate(escapeMrkdwn(a.summary), 200)}` : '';
    return `${severityIcon(a)} *${truncate(escapeMrkdwn(a.name), 120)}* (${truncate(escapeMrkdwn(a.severity), 40)}) since ${slackTime(a.startsAt)}${summary}${muted(a)}`;
  });
  if (alerts.length > MAX_ALERTS) lines.push(`…and ${alerts.length - MAX_ALERTS} more`);
  return `*Firing alerts (${alerts.length})*\n${lines.join('\n')}`;
}

function fallbackText(report: StatusReport): string {
  const dry = report.dryRun ? 'DRY RUN · ' : '';
  const verdict = report.goNoGo.verdict;
  const { route } = report;
  if ('error' in route) return `${dry}${verdict}: canary weight unknown (Kubernetes: could not read the canary route)`;
  if (!route.exists) return `${dry}${verdict}: the canary route is absent, all traffic goes to Python`;
  const pos = report.position;
  const step = pos ? (pos.stepNumber === 0 ? ' (not started)' : ` (step ${pos.stepNumber} of ${pos.stepCount})`) : '';
  let text = `${dry}${verdict}: canary ${formatPercent(report.percent ?? 0)}${step}`;
  if (report.next?.assessment.allowed && !report.pending) text += ` · next step ${formatPercent(report.next.targetPercent)} can be requested`;
  if (report.pending) text += ` · request ${transition(report.pending.fromPercent, report.pending.toPercent)} pending approval`;
  return text;
}

/** What is unusual about the route: absent, not set up to split, not accepted, split rules disagreeing, routing rules set. */
export function routeWarnings(route: CanaryRoute | { error: string }, where: string): string[] {
  const warnings: string[] = [];
  if ('error' in route) return warnings;
  if (!route.exists) {
    warnings.push(`:information_source: The canary route ${where} is absent: all traffic goes to Python. Put it back (\`/mcp-canary route apply\`) before ramping again.`);
    return warnings;
  }
  if (route.splitProblem) warnings.push(`:warning: ${where}: ${truncate(escapeMrkdwn(route.splitProblem), 400)}.`);
  for (const c of route.conditions.filter((c) => !c.ok)) {
    const by = c.reporter ? ` (${truncate(escapeMrkdwn(c.reporter), 80)})` : '';
    warnings.push(`:no_entry: *${escapeMrkdwn(c.type)} is False*${by}: ${truncate(escapeMrkdwn([c.reason, c.message].filter(Boolean).join(': ') || 'no reason given'), 400)}. Increases are NO-GO until the traffic layer accepts the route.`);
  }
  const percents = route.splitPercents ?? [];
  if (new Set(percents).size > 1) warnings.push(`:warning: The split rules disagree: ${percents.map(formatPercent).join(', ')} (the first one counts).`);
  if (route.routingRules.length) {
    const list = route.routingRules
      .slice(0, 8)
      .map((r) => `\`${truncate(escapeMrkdwn(routingRuleText(r)), 200)}\``)
      .join(', ');
    warnings.push(
      `:warning: *Header/cookie routing rules are set*: matching requests go to Rust whatever the weight (even at 0%): ${list}${route.routingRules.length > 8 ? ` and ${route.routingRules.length - 8} more` : ''}. Rollback removes them.`,
    );
  }
  const ok = route.conditions.filter((c) => c.ok);
  if (ok.length && !route.conditions.some((c) => !c.ok)) warnings.push(`${PASS} ${ok.map((c) => escapeMrkdwn(c.type)).join(', ')}`);
  return warnings;
}

// Alert group messages (one per Alertmanager group, updated in place) and what goes in their thread.
import type { KnownBlock } from '@slack/types';
import type { AlertGroupRecord, AlertInstance, AlertMessageContext, AlertThreadEvent } from '../src/core/entities.js';
import { formatPercent } from '../src/core/format.js';
import { ACTION, diagnoseButtonValue, rollbackButtonValue } from './action-ids.js';
import { actions, button, context, dryRunContext, escapeMrkdwn, header, link, markDryRun, mention, message, rollbackButton, section, slackTime, type Message } from './blocks.js';
import { renderRollbackOutcome } from './rollback.js';

const MAX_ALERTS_SHOWN = 10;

export function renderAlertGroup(record: AlertGroupRecord, ctx: AlertMessageContext): Message {
  if (record.origin === 'guard') return renderGuardPage(record, ctx);
  const firing = record.alerts.filter((a) => a.status === 'firing');
  const shown = record.status === 'firing' && firing.length ? firing : record.alerts;
  const names = [...new Set(shown.map((a) => a.name))];
  const severity = worstSeverity(shown);
  const resolved = record.status === 'resolved';
  const icon = resolved ? ':white_check_mark:' : shown.some((a) => a.critical) ? ':rotating_light:' : ':warning:';
  const title = `${resolved ? 'RESOLVED' : 'FIRING'}: ${names.join(', ') || 'alert group'}`;

  const blocks: KnownBlock[] = [header(`${icon} ${title}`)];
  const facts: string[] = [
    `*Severity:* ${escapeMrkdwn(severity)}`,
    resolved ? `*Resolved* ${slackTime(record.resolvedAt ?? record.firingSince)} · fired ${slackTime(record.firingSince)}` : `*Firing since* ${slackTime(record.firingSince)}`,
    ctx.canaryPercent !== undefined ? `*Canary weight now:* ${formatPercent(ctx.canaryPercent)}` : `*Canary weight:* unknown (${escapeMrkdwn(ctx.canaryError ?? 'not read')})`,
  ];
  blocks.push(section(facts.join('\n')));

  const runbook = names.map((n) => {
    const action = ctx.actions[n];
    const isRollback = ctx.rollbackAlerts.includes(n);
    return `• *${escapeMrkdwn(n)}*: ${action ? (isRollback ? `*${escapeMrkdwn(action)}* :rewind:` : escapeMrkdwn(action)) : 'no runbook action for this alert'}`;
  });
  blocks.push(section(`*Runbook action*\n${runbook.join('\n')}`));

  for (const alert of shown.slice(0, MAX_ALERTS_SHOWN)) blocks.push(section(alertLines(alert)));
  const hidden = shown.length - Math.min(shown.length, MAX_ALERTS_SHOWN) + record.truncatedAlerts;
  if (hidden > 0) {
    blocks.push(
      context([
        `+${hidden} more alert${hidden === 1 ? '' : 's'} not shown${record.truncatedAlerts ? ` (${record.truncatedAlerts} truncated by Alertmanager's max_alerts)` : ''}`,
      ]),
    );
  }

  const state: string[] = [];
  if (record.acknowledgedAt) {
    const via = record.acknowledgedVia === 'button' ? '' : record.acknowledgedVia === 'rollback' ? ' (by rolling back)' : ' (automatic rollback)';
    state.push(`:ok_hand: Acknowledged by ${mention(record.acknowledgedBy ?? '')} ${slackTime(record.acknowledgedAt)}${via}: escalation stopped`);
  } else if (!resolved && record.critical) {
    const next = ctx.nextEscalation ? `; L${ctx.nextEscalation.level} ${slackTime(ctx.nextEscalation.at)}` : '';
    state.push(`:bell: *Not acknowledged* — escalating in the thread${record.escalated.length ? ` (L${Math.max(...record.escalated)} notified)` : ''}${next}`);
  }
  if (record.silence) state.push(`:no_bell: Silenced by ${mention(record.silence.by)} until ${slackTime(record.silence.until)} (silence ${escapeMrkdwn(record.silence.id)})`);
  if (record.autoRollback) state.push(`:rewind: Auto-rollback ${slackTime(record.autoRollback.at)}: ${escapeMrkdwn(record.autoRollback.outcome)} (see thread)`);
  if (state.length) blocks.push(section(state.join('\n')));

  const links: string[] = [];
  const alertmanager = link(record.externalURL, 'Alertmanager');
  if (alertmanager) links.push(alertmanager);
  if (ctx.dryRun) blocks.push(dryRunContext());
  if (links.length) blocks.push(context(links));

  const buttons = [];
  if (!resolved && !record.acknowledgedAt) buttons.push(button({ text: ':ok_hand: Acknowledge', actionId: ACTION.acknowledgeAlert, value: record.id, style: 'primary' }));
  buttons.push(rollbackButton(rollbackButtonValue('alert', record.id)));
  if (!resolved && !record.silence) buttons.push(button({ text: ':no_bell: Silence 1h', actionId: ACTION.silenceAlert, value: record.id }));
  // ALERT_DIAGNOSES: the runbook's troubleshooting case of the alert, run in its thread.
  const diagnoses = ctx.diagnoses ?? {};
  for (const scope of [...new Set(names.flatMap((n) => (diagnoses[n] ? [diagnoses[n]] : [])))]) {
    buttons.push(button({ text: `:mag: Diagnose ${scope}`, actionId: ACTION.diagnose, value: diagnoseButtonValue(scope, record.id) }));
  }
  blocks.push(actions(buttons));

  // Names, severity and actions come from outside: escaped in the notification text as in the blocks.
  const action = resolved ? undefined : names.map((n) => ctx.actions[n]).find(Boolean);
  const fallback = `${escapeMrkdwn(title)} (${escapeMrkdwn(severity)})${action ? ` — ${escapeMrkdwn(action)}` : ''}`;
  return markDryRun(message(fallback, blocks), ctx.dryRun);
}

function alertLines(alert: AlertInstance): string {
  const lines = [`${alert.status === 'firing' ? ':red_circle:' : ':large_green_circle:'} *${escapeMrkdwn(alert.name)}* (${escapeMrkdwn(alert.severity)}) since ${slackTime(alert.startsAt)}`];
  if (alert.summary) lines.push(escapeMrkdwn(alert.summary));
  if (alert.description && alert.description !== alert.summary) lines.push(`_${escapeMrkdwn(alert.description)}_`);
  const where = alert.labels.instance ? `instance ${escapeMrkdwn(alert.labels.instance)}` : '';
  const source = link(alert.generatorURL, 'graph') ?? '';
  if (where || source) lines.push([where, source].filter(Boolean).join(' · '));
  return lines.join('\n');
}

/** The severity to show for the group: a critical one (the core marks them, ALERT_CRITICAL_SEVERITY) first. */
function worstSeverity(alerts: AlertInstance[]): string {
  const order = ['error', 'warning', 'info'];
  return [...alerts].sort((a, b) => rank(a) - rank(b))[0]?.severity ?? 'none';
  function rank(a: AlertInstance): number {
    if (a.critical) return -1;
    const i = order.indexOf(a.severity);
    return i === -1 ? order.length : i;
  }
}

/** Group mentions need Slack's subteam syntax; users the usual one. */
export function escalationMention(target: string): string {
  return /^S[A-Z0-9]{2,}$/.test(target) ? `<!subteam^${target}>` : mention(target);
}

export function renderAlertThreadEvent(event: AlertThreadEvent): Message {
  return markDryRun(threadMessage(event), event.dryRun);
}

/** Alert names come from outside: escaped in the notification text as in the blocks. */
function threadMessage(event: AlertThreadEvent): Message {
  switch (event.kind) {
    case 'resolved':
      return message('Resolved', [section(`:white_check_mark: *Resolved* ${slackTime(event.at)}. Escalation stopped.`)]);
    case 'refired':
      return message(`Firing again: ${escapeMrkdwn(event.names.join(', '))}`, [
        section(`:rotating_light: *Firing again* ${slackTime(event.at)}: ${escapeMrkdwn(event.names.join(', '))}. Acknowledgement and escalation start over.`),
      ]);
    case 'joined':
      return message(`New in this group: ${escapeMrkdwn(event.names.join(', '))}`, [section(`:heavy_plus_sign: Now also firing: *${escapeMrkdwn(event.names.join(', '))}*`)]);
    case 'escalation': {
      const who = escalationMention(event.target);
      const role = ['', 'L1 on-call: execute the runbook action', 'L2 platform team lead: investigate the root cause', 'L3 Rust gateway maintainer: fix the issue'][event.level] ?? `L${event.level}`;
      const action = event.action ? ` Runbook: *${escapeMrkdwn(event.action)}*.` : '';
      return message(`Escalation L${event.level}: ${escapeMrkdwn(event.names.join(', '))} unacknowledged`, [
        section(`:bell: *Escalation L${event.level}* ${who} — ${role}. *${escapeMrkdwn(event.names.join(', '))}* is firing and not acknowledged.${action} Press *Acknowledge* (or *Roll back*) on the message above to stop escalating.`),
      ]);
    }
    case 'auto-rollback': {
      const rendered = renderRollbackOutcome(event.outcome);
      return message(`Automatic rollback (AUTO_ROLLBACK_ON_CRITICAL): ${rendered.text}`, [
        context([':robot_face: Automatic rollback: `AUTO_ROLLBACK_ON_CRITICAL=true` and a rollback alert of the runbook is firing']),
        ...rendered.blocks,
      ]);
    }
    case 'acknowledged': {
      const via = event.via === 'button' ? '' : event.via === 'rollback' ? ' by rolling back' : ' by the automatic rollback';
      return message('Acknowledged', [section(`:ok_hand: Acknowledged${via} by ${mention(event.by)} ${slackTime(event.at)}. Escalation stopped.`)]);
    }
    case 'silenced':
      return message('Silenced for 1h', [
        section(`:no_bell: ${mention(event.by)} silenced this group in Alertmanager until ${slackTime(event.until)} (silence \`${escapeMrkdwn(event.silenceId)}\`). Escalation is not affected: acknowledge to stop it.`),
      ]);
  }
}

/**
 * GUARD=page: the guard saw the runbook's rollback conditions breached and wrote nothing. One message asks
 * people to roll back now, with the evidence; it escalates like a critical alert until acknowledged or rolled back.
 */
function renderGuardPage(record: AlertGroupRecord, ctx: AlertMessageContext): Message {
  const resolved = record.status === 'resolved';
  const evidence = record.evidence;
  const blocks: KnownBlock[] = [
    header(resolved ? ':white_check_mark: Guard: the rollback conditions cleared' : ':rotating_light: Roll back now: the guard saw the rollback conditions breached'),
  ];
  const readings = evidence ? evidence.criteria.map((c) => `${c.pass ? ':white_check_mark:' : ':x:'} ${escapeMrkdwn(c.label)}: *${escapeMrkdwn(c.value)}* (rollback when ${escapeMrkdwn(c.threshold)})`) : [];
  blocks.push(
    section(
      `${resolved ? `Cleared ${slackTime(record.resolvedAt ?? record.firingSince)}.` : `GUARD=page: the bot writes nothing itself. *Press Roll back* (or run \`/mcp-canary rollback\`) unless you know better.`}\n*What the guard saw* (${slackTime(evidence?.evaluatedAt ?? record.firingSince)}):\n${readings.join('\n') || '_no readings_'}`,
    ),
  );
  const facts = [ctx.canaryPercent !== undefined ? `*Canary weight now:* ${formatPercent(ctx.canaryPercent)}` : `*Canary weight:* unknown (${escapeMrkdwn(ctx.canaryError ?? 'not read')})`];
  if (record.acknowledgedAt) facts.push(`:ok_hand: Acknowledged by ${mention(record.acknowledgedBy ?? '')} ${slackTime(record.acknowledgedAt)}: escalation stopped`);
  else if (!resolved) facts.push(`:bell: *Not acknowledged* — escalating in the thread${record.escalated.length ? ` (L${Math.max(...record.escalated)} notified)` : ''}${ctx.nextEscalation ? `; L${ctx.nextEscalation.level} ${slackTime(ctx.nextEscalation.at)}` : ''}`);
  blocks.push(section(facts.join('\n')));
  if (ctx.dryRun) blocks.push(dryRunContext());
  const buttons = [];
  if (!resolved && !record.acknowledgedAt) buttons.push(button({ text: ':ok_hand: Acknowledge', actionId: ACTION.acknowledgeAlert, value: record.id, style: 'primary' }));
  buttons.push(rollbackButton(rollbackButtonValue('alert', record.id)));
  blocks.push(actions(buttons));
  const reasons = escapeMrkdwn(evidence?.reasons.join('; ') ?? '');
  return markDryRun(message(resolved ? 'Guard: the rollback conditions cleared' : `Roll back now: ${reasons || 'the rollback conditions are breached'}`, blocks), ctx.dryRun);
}

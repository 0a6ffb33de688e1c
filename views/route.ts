// The route the bot drives, whatever the router: its name in messages, its routing rules, `/mcp-canary
// route` (the live route) and `/mcp-canary route apply` (putting the canary route back at 0%).
import type { KnownBlock } from '@slack/types';
import type { RouteRef, RoutingRule } from '../src/core/entities.js';
import { formatDuration, formatPercent } from '../src/core/format.js';
import type { RouteApplyOutcome, RouteReport } from '../src/core/route.js';
import { ACTION } from './action-ids.js';
import { actions, button, context, dryRunContext, escapeMrkdwn, header, mention, message, section, slackTime, truncate, type Message } from './blocks.js';
import { FAIL, PASS } from './evidence.js';

/** "Ingress `mcp-gateway-canary`", "HTTPRoute `mcp-gateway`" (escaped mrkdwn). */
export function routeLabel(ref: RouteRef): string {
  return `${escapeMrkdwn(ref.kind)} \`${escapeMrkdwn(ref.name)}\``;
}

/** "header X-Canary: always", "cookie rust" (plain text: escape before mrkdwn). */
export function routingRuleText(rule: RoutingRule): string {
  return `${rule.kind} ${rule.name}${rule.value !== undefined ? `: ${rule.value}` : ''}`;
}

/** The "Put the canary route back" button, with its confirm dialog (approvers only; checked again on click). */
export function routeApplyButton(ref: RouteRef, dryRun: boolean): ReturnType<typeof button> {
  return button({
    text: ':construction: Put the canary route back',
    actionId: ACTION.routeApply,
    value: 'apply',
    confirm: {
      title: 'Put the canary route back?',
      text: `Puts the canary route of ${ref.kind} ${ref.name} in place at 0%: no traffic moves until an approved increase.${dryRun ? ' DRY RUN: server-side dry run only.' : ''} Approvers only; audited.`,
      confirm: 'Put it back',
      deny: 'Cancel',
    },
  });
}

/** `/mcp-canary route`: router, object, percent per split rule, routing rules, conditions, time at step. */
export function renderRoute(report: RouteReport, opts: { dryRun: boolean }): Message {
  const { ref, route } = report;
  const where = `${routeLabel(ref)} in \`${escapeMrkdwn(ref.namespace)}\``;
  const blocks: KnownBlock[] = [header(`Canary route (${truncate(ref.router, 40)})${opts.dryRun ? ' · DRY RUN' : ''}`)];
  if ('error' in route) {
    blocks.push(section(`${FAIL} Could not read ${where}: ${truncate(escapeMrkdwn(route.error), 1000)}`));
    return message(`Canary route unknown: could not read ${ref.kind} ${ref.name}`, blocks);
  }
  const lines = [`*Object:* ${where}`];
  if (!route.exists) {
    lines.push(`${FAIL} *The canary route is absent*: all traffic goes to Python. \`/mcp-canary route apply\` puts it back at 0%.`);
  } else {
    const split = route.splitPercents && route.splitPercents.length > 1 ? ` (split rules: ${route.splitPercents.map(formatPercent).join(', ')}${new Set(route.splitPercents).size > 1 ? ' — they disagree' : ''})` : '';
    lines.push(`*Canary:* *${formatPercent(route.percent)}* of traffic to Rust${split}`);
    if (route.splitProblem) lines.push(`:warning: ${truncate(escapeMrkdwn(route.splitProblem), 500)}`);
    lines.push(
      route.routingRules.length
        ? `*Routing rules* (to Rust whatever the percent): ${route.routingRules.map((r) => `\`${truncate(escapeMrkdwn(routingRuleText(r)), 200)}\``).join(', ')}`
        : '*Routing rules:* none',
    );
    const hold = report.hold;
    if (route.lastApplied) {
      const held = hold?.heldMs !== undefined ? ` (${formatDuration(hold.heldMs)} at this step)` : hold?.unknownReason ? ` (${truncate(escapeMrkdwn(hold.unknownReason), 300)})` : '';
      lines.push(`*Last set by the bot:* ${formatPercent(route.lastApplied.percent)} by ${mention(route.lastApplied.by)} ${slackTime(route.lastApplied.at)}${held}`);
    } else {
      lines.push('*Last set by the bot:* no record on the route');
    }
  }
  if (route.conditions.length) {
    lines.push(
      `*Conditions:*\n${route.conditions
        .map((c) => `${c.ok ? PASS : FAIL} ${escapeMrkdwn(c.type)}${c.reporter ? ` (${truncate(escapeMrkdwn(c.reporter), 80)})` : ''}${c.reason ? `: ${truncate(escapeMrkdwn(c.reason), 100)}` : ''}${c.message ? ` — ${truncate(escapeMrkdwn(c.message), 300)}` : ''}`)
        .join('\n')}`,
    );
  }
  blocks.push(section(lines.join('\n')));
  if ('exists' in route && !route.exists) blocks.push(actions([routeApplyButton(ref, opts.dryRun)]));
  blocks.push(context([`Read ${slackTime(report.at)} · TRAFFIC_ROUTER=${escapeMrkdwn(ref.router)}`]));
  if (opts.dryRun) blocks.push(dryRunContext());
  return message(route.exists ? `Canary route ${ref.kind} ${ref.name}: ${formatPercent(route.percent)}` : `Canary route ${ref.kind} ${ref.name}: absent`, blocks);
}

/** `/mcp-canary route apply`: what it will do, and the button with its confirm dialog. */
export function renderRouteApplyConfirm(ref: RouteRef, opts: { dryRun: boolean }): Message {
  const blocks: KnownBlock[] = [
    section(`Put the canary route of ${routeLabel(ref)} back in place at *0%*? No traffic moves until an approved increase.`),
    actions([routeApplyButton(ref, opts.dryRun)]),
  ];
  if (opts.dryRun) blocks.push(dryRunContext());
  return message('Put the canary route back at 0%?', blocks);
}

export function renderRouteApplied(outcome: RouteApplyOutcome): Message {
  switch (outcome.kind) {
    case 'already-present':
      return message('The canary route is already in place: nothing changed', [section(`:information_source: The canary route of ${routeLabel(outcome.ref)} is already in place: nothing changed.`)]);
    case 'failed':
      return message(`The canary route was not put back: ${truncate(escapeMrkdwn(outcome.error), 300)}`, [
        section(`:x: The canary route of ${routeLabel(outcome.ref)} was not put back: ${truncate(escapeMrkdwn(outcome.error), 1500)}. Nothing was changed.`),
      ]);
    case 'not-approver':
      return message('Refused: only approvers (CANARY_APPROVERS) may put the canary route in place', [
        section(':no_entry: Only approvers (CANARY_APPROVERS) may put the canary route in place (it changes production routing). Nothing was changed. Rolling back stays open to everyone.'),
      ]);
    case 'applied': {
      const how =
        outcome.result.kind === 'created'
          ? `re-created from ${outcome.result.from === 'kept-copy' ? 'the copy the bot kept before the rollback removed it' : 'CANARY_ROUTE_MANIFEST'}`
          : `the Rust backend added at weight 0 to ${outcome.result.rules} split rule${outcome.result.rules === 1 ? '' : 's'}`;
      const blocks: KnownBlock[] = [
        section(
          outcome.dryRun
            ? `:construction: ${mention(outcome.actor)} put the canary route of ${routeLabel(outcome.ref)} back as a *DRY RUN* (${how}): server-side dry run only, *nothing was changed*.`
            : `:construction: ${mention(outcome.actor)} put the canary route of ${routeLabel(outcome.ref)} back in place at *0%* (${how}). No traffic moves until an approved increase (\`/mcp-canary promote\`).`,
        ),
      ];
      if (outcome.dryRun) blocks.push(dryRunContext());
      return message(`${outcome.dryRun ? 'DRY RUN · ' : ''}Canary route put back at 0% by ${mention(outcome.actor)}`, blocks);
    }
  }
}

// Shadow mode, drift and the post-migration cleanup: the phases around the ramp.
import type { KnownBlock } from '@slack/types';
import type { DriftEvent } from '../src/core/drift.js';
import type { CleanupStep, DeploymentReadiness, StepResult } from '../src/core/entities.js';
import { formatPercent } from '../src/core/format.js';
import type { ChecklistItem } from '../src/core/phase.js';
import type { ApproverRule } from '../src/core/permissions.js';
import type { ShadowStatus, ShadowToggleOutcome } from '../src/core/shadow.js';
import { ACTION } from './action-ids.js';
import { actions, button, context, dryRunContext, escapeMrkdwn, header, mention, message, section, slackTime, type Message } from './blocks.js';
import { mark, ruleCheckLine } from './evidence.js';

export function checklistLines(items: ChecklistItem[]): string {
  return items.map(ruleCheckLine).join('\n');
}

/** One cleanup step in words (plain text: escape before mrkdwn). */
export function cleanupStepText(step: CleanupStep): string {
  switch (step.id) {
    case 'delete-python-deployment':
    case 'delete-python-service':
      return `delete ${step.target}`;
    case 'promote-canary-route':
      return `point ${step.target} at the Rust service`;
    case 'remove-canary-route':
      return `remove the canary route ${step.target}`;
  }
}

export function renderShadowStatus(status: ShadowStatus, opts: { dryRun: boolean }): Message {
  const mode = status.enabled === 'unknown' ? `unknown (${escapeMrkdwn(status.enabledError ?? 'not read')})` : status.enabled ? '*ON*' : '*OFF*';
  const rates = status.rates.map((r) => `${mark(r.pass)} ${escapeMrkdwn(r.label)}: *${escapeMrkdwn(r.display)}* (${escapeMrkdwn(r.threshold)})${r.error ? ` — ${escapeMrkdwn(r.error)}` : ''}`);
  const exit = status.exit;
  const days = exit.days
    .map((d) => `${d.met ? '▰' : '▱'}`)
    .join('');
  const blocks: KnownBlock[] = [
    header('Shadow mode'),
    section(`Shadow mode on the Python gateway: ${mode}\n${rates.join('\n')}`),
    section(`*Exit criterion* ${mark(exit.met)} ${days ? `${days} ` : ''}${escapeMrkdwn(exit.summary)}`),
  ];
  if (status.topMismatchPaths.length) {
    blocks.push(section(`*Top mismatching paths (last hour)*\n${status.topMismatchPaths.map((p) => `• \`${escapeMrkdwn(p.path)}\` ${p.perSecond.toPrecision(3)}/s`).join('\n')}`));
  }
  if (opts.dryRun) blocks.push(dryRunContext());
  blocks.push(context([`Checked ${slackTime(status.at)}`]));
  const failing = status.rates.filter((r) => !r.pass).map((r) => r.label);
  return message(`Shadow mode ${status.enabled === true ? 'ON' : status.enabled === false ? 'OFF' : 'unknown'}: ${failing.length ? `failing ${failing.join(', ')}` : 'rates within thresholds'}; ${exit.summary}`, blocks);
}

/** The ephemeral "are you sure" with Slack's confirm dialog, for `/mcp-canary shadow on|off`. */
export function renderShadowConfirm(enabled: boolean, deployment: string, dryRun: boolean): Message {
  const verb = enabled ? 'on' : 'off';
  const blocks: KnownBlock[] = [
    section(`Turn shadow mode *${verb}* on deployment/${escapeMrkdwn(deployment)}? This sets \`SHADOW_MODE_ENABLED=${enabled}\`${enabled ? ' and `SHADOW_RUST_GATEWAY_URL`' : ''} (other env untouched) and restarts its pods (a rolling update).`),
    actions([
      button({
        text: `Turn shadow mode ${verb}`,
        actionId: ACTION.shadowToggle,
        value: verb,
        style: enabled ? 'primary' : 'danger',
        confirm: {
          title: `Shadow mode ${verb}?`,
          text: `Sets SHADOW_MODE_ENABLED=${enabled} on ${deployment}; the pods roll. Audited.`,
          confirm: `Turn ${verb}`,
          deny: 'Cancel',
          style: enabled ? 'primary' : 'danger',
        },
      }),
    ]),
  ];
  if (dryRun) blocks.push(dryRunContext());
  return message(`Turn shadow mode ${verb}?`, blocks);
}

/** Why a production change was refused: the rule, by name, and who may do it instead. */
export function renderNotApprover(rule: ApproverRule, opts: { dryRun: boolean }): Message {
  const what = rule.action === 'shadow' ? 'turn shadow mode on or off (it restarts the production Python pods)' : 'put the canary route in place (it changes production routing)';
  const who = rule.approvers.length ? rule.approvers.map((id) => (id.startsWith('S') ? `<!subteam^${id}>` : mention(id))).join(', ') : 'nobody: CANARY_APPROVERS is empty';
  const blocks: KnownBlock[] = [section(`:no_entry: Only approvers (CANARY_APPROVERS) may ${what}. Nothing was changed. Ask one of: ${who}. Rolling back stays open to everyone.`)];
  if (opts.dryRun) blocks.push(dryRunContext());
  return message(`${opts.dryRun ? 'DRY RUN · ' : ''}Refused: only approvers (CANARY_APPROVERS) may ${what}. Nothing was changed.`, blocks);
}

export function renderShadowToggled(outcome: ShadowToggleOutcome, actor: string, deployment: string, opts: { dryRun: boolean }): Message {
  const dry = opts.dryRun ? [dryRunContext()] : [];
  const dryText = opts.dryRun ? 'DRY RUN · ' : '';
  if (outcome.kind === 'not-approver') return renderNotApprover(outcome.rule, opts);
  if (outcome.kind === 'failed') return message(`${dryText}Shadow mode unchanged: ${outcome.message}`, [section(`:warning: ${escapeMrkdwn(outcome.message)}`), ...dry]);
  if (outcome.kind === 'unchanged') {
    return message(`${dryText}Shadow mode is already ${outcome.enabled ? 'on' : 'off'}`, [section(`Shadow mode is already *${outcome.enabled ? 'on' : 'off'}*: nothing changed.`), ...dry]);
  }
  const env = Object.entries(outcome.env).map(([k, v]) => `\`${escapeMrkdwn(k)}=${escapeMrkdwn(v)}\``).join(' ');
  const blocks: KnownBlock[] = [
    section(`:eyes: ${mention(actor)} turned shadow mode *${outcome.enabled ? 'ON' : 'OFF'}* on deployment/${escapeMrkdwn(deployment)} (container \`${escapeMrkdwn(outcome.container)}\`: ${env}). Rollout progress in the thread.`),
  ];
  if (outcome.dryRun) blocks.push(dryRunContext());
  return message(`${outcome.dryRun ? '[DRY RUN] ' : ''}Shadow mode ${outcome.enabled ? 'ON' : 'OFF'} on ${deployment}`, blocks);
}

export function renderRollout(readiness: DeploymentReadiness | { error: string }, state: 'progress' | 'done' | 'timeout'): Message {
  if ('error' in readiness) return message(`Rollout unknown: ${readiness.error}`, [section(`:warning: Rollout status unknown: ${escapeMrkdwn(readiness.error)}`)]);
  const line = `updated ${readiness.updated}/${readiness.desired}, ready ${readiness.ready}/${readiness.desired}, available ${readiness.available}/${readiness.desired}`;
  const icon = state === 'done' ? ':white_check_mark: Rollout complete' : state === 'timeout' ? ':warning: Rollout not complete yet' : ':arrows_counterclockwise: Rolling out';
  return message(`${icon}: ${line}`, [section(`${icon}: ${line}`)]);
}

export function renderDrift(event: DriftEvent): Message {
  const state = (x: { exists: boolean; percent: number }) => (x.exists ? `weight *${formatPercent(x.percent)}*` : 'canary route *absent*');
  const split = event.disagreeingSplit ? `\nThe split rules disagree: ${event.disagreeingSplit.map(formatPercent).join(', ')} (the first one counts). Make them agree, or roll back.` : '';
  if (event.unrecorded) return renderUnrecordedWeight(event);
  const blocks: KnownBlock[] = [
    header(':mag: Canary changed outside mcp-canary'),
    section(
      `Before: ${state(event.before)}\nAfter: ${state(event.after)}${split}\nDetected ${slackTime(event.at)}. ${event.adopted ? 'Adopted as the known state: the hold at this step restarts now.' : 'Adopted as the known state.'} Someone ran kubectl (or a deploy tool): check it was intended, or roll back.`,
    ),
  ];
  if (event.dryRun) blocks.push(dryRunContext());
  const plain = (x: { exists: boolean; percent: number }) => (x.exists ? `weight ${formatPercent(x.percent)}` : 'canary route absent');
  return message(`${event.dryRun ? 'DRY RUN · ' : ''}Canary changed outside the bot: ${plain(event.before)} → ${plain(event.after)}`, blocks);
}

/** A weight the bot finds with no record of its own (a route made by ingress2gateway, an Ingress applied by hand). */
function renderUnrecordedWeight(event: DriftEvent): Message {
  const weight = formatPercent(event.after.percent);
  const blocks: KnownBlock[] = [
    header(':mag: Canary weight with no record of mcp-canary'),
    section(
      `Weight *${weight}* was set outside mcp-canary with no record of when (a route made by ingress2gateway, or applied by hand). Detected ${slackTime(event.at)}. ${event.adopted ? 'Recorded as set now: the hold at this step restarts now.' : 'Not recorded on the route (it could not be written): increases stay refused until it is.'} Check it is the weight you expect, or roll back.`,
    ),
  ];
  if (event.dryRun) blocks.push(dryRunContext());
  return message(`${event.dryRun ? 'DRY RUN · ' : ''}Canary weight ${weight} found with no record of mcp-canary: ${event.adopted ? 'recorded as set now' : 'not recorded'}`, blocks);
}

export function renderCleanupPlan(plan: StepResult[], refused?: string): Message {
  const lines = plan.map((r, i) => `${i + 1}. ${mark(r.ok)} ${escapeMrkdwn(cleanupStepText(r.step))} — ${escapeMrkdwn(r.detail)}`);
  const blocks: KnownBlock[] = [section(`*Cleanup plan* (server-side dry run first)\n${lines.join('\n')}`)];
  if (refused) blocks.unshift(section(`:no_entry: Cleanup refused: ${escapeMrkdwn(refused)}`));
  return message(refused ? `Cleanup refused: ${refused}` : 'Cleanup plan', blocks);
}

export function renderCleanupStep(result: StepResult, index: number, total: number): Message {
  return message(`Cleanup step ${index}/${total} ${result.ok ? 'done' : 'FAILED'}: ${cleanupStepText(result.step)}`, [
    section(`${result.ok ? ':white_check_mark:' : ':x:'} Step ${index}/${total}: ${escapeMrkdwn(cleanupStepText(result.step))} — ${escapeMrkdwn(result.detail)}`),
  ]);
}

// Acknowledge and "Silence 1h" on an alert message. Rollback on it goes through the rollback listener,
// which also acknowledges the group.
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { acknowledgeAlertGroup, silenceAlertGroup } from '../../src/core/alerts.js';
import { type AlertDeps } from '../../src/core/deps.js';
import { mention } from '../../views/index.js';
import type { HandlerContext } from '../context.js';
import { tellClicker } from '../reply.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;
const SILENCE_MS = 3_600_000;

export function acknowledgeAlertButton(ctx: HandlerContext, deps: AlertDeps) {
  return async ({ ack, body, action, respond, client }: ButtonArgs): Promise<void> => {
    await ack();
    const outcome = await acknowledgeAlertGroup(deps, { groupId: action.value ?? '', actor: body.user.id, via: 'button' });
    const text =
      outcome.kind === 'acknowledged'
        ? ':ok_hand: Acknowledged: escalation stopped.'
        : outcome.kind === 'already'
          ? `Already acknowledged by ${mention(outcome.record.acknowledgedBy ?? '')}.`
          : outcome.kind === 'resolved'
            ? 'This alert group is already resolved: nothing to acknowledge.'
            : outcome.kind === 'not-found'
              ? 'This alert group is unknown to the bot (older than its retention?). Nothing was changed.'
              : `:warning: ${outcome.message}`;
    await tellClicker(ctx, { body, respond, client }, { text });
  };
}

export function silenceAlertButton(ctx: HandlerContext, deps: AlertDeps) {
  return async ({ ack, body, action, respond, client }: ButtonArgs): Promise<void> => {
    await ack();
    const outcome = await silenceAlertGroup(deps, { groupId: action.value ?? '', actor: body.user.id, durationMs: SILENCE_MS });
    const text =
      outcome.kind === 'silenced'
        ? `:no_bell: Silenced in Alertmanager for 1h (silence \`${outcome.silenceId}\`).`
        : outcome.kind === 'not-found'
          ? 'This alert group is unknown to the bot. Nothing was silenced.'
          : `:warning: ${outcome.message}`;
    await tellClicker(ctx, { body, respond, client }, { text });
  };
}

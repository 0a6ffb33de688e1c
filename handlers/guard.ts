// The guard's loop, as the channel hears it: each tick the core checks the rollback conditions (one replica
// per tick); what it did is said here: the rollback with what it saw and how to resume, the warning that it
// cannot see, and that it sees again. A page (GUARD=page) is posted by the core as an alert group. Each of
// these is said once (the core claims the tick): one Slack refuses is kept and retried (`owe`).
import type { WebClient } from '@slack/web-api';
import { INITIAL_GUARD_STATE, runGuardTick, type GuardState } from '../src/core/guard.js';
import { renderGuardBlind, renderGuardRollback, renderGuardRouteUnreadable, renderGuardSeesAgain } from '../views/guard.js';
import { announceRollback } from './announce.js';
import type { Owe } from './background-work.js';
import { postToChannel, type HandlerContext, type SlackMessage } from './context.js';

export function guardLoop(ctx: HandlerContext, client: WebClient, owe: Owe): () => Promise<void> {
  // This replica's own count, used only while the store cannot be read.
  const local: { state: GuardState } = { state: INITIAL_GUARD_STATE };
  return async () => {
    const tick = await runGuardTick(ctx.core, local);
    if (tick.kind === 'skipped') return;
    const channel = ctx.channel;
    const say = async (what: string, message: SlackMessage) => {
      if (!channel) return;
      if (!(await postToChannel(ctx, client, channel, message))) await owe({ kind: 'message', what, channel, message }, new Error(`Slack did not take the ${what}`));
    };
    if (tick.kind === 'route-unreadable') {
      ctx.metrics.guardChecks.inc({ result: 'no-data' });
      if (tick.warn) await say("guard's warning that it cannot read the canary route", renderGuardRouteUnreadable(ctx.core.router.ref, tick, { dryRun: ctx.core.policy.dryRun }));
      return;
    }
    const { check } = tick;
    ctx.metrics.guardChecks.inc({ result: check.breach ? 'breach' : check.noData ? 'no-data' : 'clear' });
    // No outcome: someone else (another replica, the alert path) rolled back at the same moment; they count and announce it.
    if (tick.kind === 'rolled-back' && tick.outcome) {
      ctx.metrics.guardActions.inc({ mode: 'rollback' });
      const message = renderGuardRollback(check, tick.outcome, tick.state.breachesInRow);
      const { posted } = await announceRollback(ctx, client, tick.outcome, {}, message);
      if (!posted && channel) await owe({ kind: 'message', what: "guard's rollback announcement", channel, message }, new Error("Slack did not take the guard's rollback announcement"));
    }
    if (tick.kind === 'paged') ctx.metrics.guardActions.inc({ mode: 'page' });
    if (tick.noData === 'warn') await say("guard's warning that it cannot see", renderGuardBlind(check, tick.state.noDataInRow, { dryRun: ctx.core.policy.dryRun }));
    if (tick.noData === 'recovered') await say('guard seeing again', renderGuardSeesAgain(check, { dryRun: ctx.core.policy.dryRun }));
  };
}

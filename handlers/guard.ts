// The guard's loop, as the channel hears it: each tick the core checks the rollback conditions (one replica
// per tick); what it did is said here: the rollback with what it saw and how to resume, the warning that it
// cannot see, and that it sees again. A page (GUARD=page) is posted by the core as an alert group.
import type { WebClient } from '@slack/web-api';
import { INITIAL_GUARD_STATE, runGuardTick, type GuardState } from '../src/core/guard.js';
import { renderGuardBlind, renderGuardRollback, renderGuardSeesAgain } from '../views/guard.js';
import { announceRollback } from './announce.js';
import { postToChannel, type HandlerContext } from './context.js';

export function guardLoop(ctx: HandlerContext, client: WebClient): () => Promise<void> {
  // This replica's own count, used only while the store cannot be read.
  const local: { state: GuardState } = { state: INITIAL_GUARD_STATE };
  return async () => {
    const tick = await runGuardTick(ctx.core, local);
    if (tick.kind === 'skipped') return;
    const { check } = tick;
    ctx.metrics.guardChecks.inc({ result: check.breach ? 'breach' : check.noData ? 'no-data' : 'clear' });
    const channel = ctx.channel;
    if (tick.kind === 'rolled-back') {
      ctx.metrics.guardActions.inc({ mode: 'rollback' });
      // Someone (another replica, the alert path) rolled back at the same moment: they announce it.
      if (tick.outcome) await announceRollback(ctx, client, tick.outcome, {}, renderGuardRollback(check, tick.outcome, tick.state.breachesInRow));
    }
    if (tick.kind === 'paged') ctx.metrics.guardActions.inc({ mode: 'page' });
    if (channel && tick.noData === 'warn') await postToChannel(ctx, client, channel, renderGuardBlind(check, tick.state.noDataInRow, { dryRun: ctx.core.policy.dryRun }));
    if (channel && tick.noData === 'recovered') await postToChannel(ctx, client, channel, renderGuardSeesAgain(check, { dryRun: ctx.core.policy.dryRun }));
  };
}

// Slack may deliver the same thing twice: Events API retries (X-Slack-Retry-Num) after a slow answer,
// and people double-click. Each delivery is claimed once in the shared store, so the work happens once
// across replicas; a duplicate is still acknowledged at once, or Slack shows its sender an error.
// Rollback clicks are never deduplicated: a rollback is idempotent (the core answers "already rolled
// back" from the live state), and a second click on the same message may be meant (the weight was
// raised again in between). If the store is down the work goes ahead: a rollback must never wait on
// Redis, and every action is idempotent in the core anyway.
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { StateStore } from '../src/core/ports.js';
import { settledWithin } from '../src/settled-within.js';
import { ACTION } from '../views/action-ids.js';

const EVENT_TTL_MS = 3_600_000;
const CLICK_TTL_MS = 5_000;
/** A reachable but stalled Redis answers only after ioredis' command timeout (1 s): never wait that long. */
const CLAIM_WAIT_MS = 250;

export function deliveredOnce(store: Pick<StateStore, 'claimOnce'>, onDuplicate: (key: string) => void): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const { body, next } = args;
    const key = deliveryKey(body as Record<string, unknown>);
    if (key) {
      // No answer in time, or an error: treat it as the first delivery (see above).
      const claimed = await settledWithin(store.claimOnce(key, key.startsWith('event:') ? EVENT_TTL_MS : CLICK_TTL_MS), CLAIM_WAIT_MS);
      if (claimed?.value === false) {
        onDuplicate(key);
        // Events are acknowledged by Bolt before any middleware; commands and clicks are ours to ack.
        if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
        return;
      }
    }
    await next();
  };
}

function deliveryKey(body: Record<string, unknown>): string | undefined {
  if (typeof body.event_id === 'string') return `event:${body.event_id}`;
  if (body.type === 'block_actions') {
    const user = (body.user as { id?: string } | undefined)?.id;
    const action = (body.actions as Array<{ action_id?: string; value?: string }> | undefined)?.[0];
    if (action?.action_id === ACTION.rollback) return undefined;
    const where = (body.container as { message_ts?: string; view_id?: string } | undefined) ?? {};
    if (user && action?.action_id) return `click:${user}:${action.action_id}:${action.value ?? ''}:${where.message_ts ?? where.view_id ?? ''}`;
  }
  return undefined;
}

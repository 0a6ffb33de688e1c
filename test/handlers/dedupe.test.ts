// deliveredOnce: Slack's duplicate deliveries (Events API retries, double clicks) are handled once across
// replicas and still acknowledged; Rollback clicks are never deduplicated; a down or stalled store lets
// everything through.
import { describe, expect, it, vi } from 'vitest';
import { deliveredOnce } from '../../handlers/dedupe.js';
import { ACTION } from '../../views/action-ids.js';
import { coreKit } from '../core/kit.js';

function clickBody(actionId: string, user = 'U0ALICE', value = 'v', messageTs = '1700.0001') {
  return { type: 'block_actions', user: { id: user }, actions: [{ action_id: actionId, value }], container: { type: 'message', message_ts: messageTs } };
}

function deliver(middleware: ReturnType<typeof deliveredOnce>, body: object, withAck = true) {
  const next = vi.fn(async () => undefined);
  const ack = vi.fn(async () => undefined);
  const args = withAck ? { body, next, ack } : { body, next };
  return { next, ack, done: middleware(args as never) };
}

describe('deliveredOnce', () => {
  it('handles an Events API retry once (Bolt already acked events)', async () => {
    const kit = coreKit();
    const duplicates: string[] = [];
    const middleware = deliveredOnce(kit.store, (key) => duplicates.push(key));
    const first = deliver(middleware, { event_id: 'Ev123', event: { type: 'app_home_opened' } }, false);
    await first.done;
    const retry = deliver(middleware, { event_id: 'Ev123', event: { type: 'app_home_opened' } }, false);
    await retry.done;
    expect(first.next).toHaveBeenCalledTimes(1);
    expect(retry.next).not.toHaveBeenCalled();
    expect(duplicates).toEqual(['event:Ev123']);
  });

  it('acks a double click at once and does the work once, across replicas sharing the store', async () => {
    const kit = coreKit();
    const duplicates: string[] = [];
    const replicaA = deliveredOnce(kit.store, (key) => duplicates.push(key));
    const replicaB = deliveredOnce(kit.store, (key) => duplicates.push(key));
    const first = deliver(replicaA, clickBody(ACTION.approve, 'U0BOB', 'req1'));
    const second = deliver(replicaB, clickBody(ACTION.approve, 'U0BOB', 'req1'));
    await Promise.all([first.done, second.done]);
    expect(first.next.mock.calls.length + second.next.mock.calls.length).toBe(1);
    const duplicate = first.next.mock.calls.length ? second : first;
    expect(duplicate.ack).toHaveBeenCalledTimes(1);
    expect(duplicates).toEqual(['click:U0BOB:canary_approve:req1:1700.0001']);
  });

  it('never deduplicates Rollback clicks', async () => {
    const kit = coreKit();
    const onDuplicate = vi.fn();
    const middleware = deliveredOnce(kit.store, onDuplicate);
    const clicks = [deliver(middleware, clickBody(ACTION.rollback, 'U0ALICE', 'status')), deliver(middleware, clickBody(ACTION.rollback, 'U0ALICE', 'status'))];
    await Promise.all(clicks.map((c) => c.done));
    expect(clicks.map((c) => c.next.mock.calls.length)).toEqual([1, 1]);
    expect(clicks.map((c) => c.ack.mock.calls.length)).toEqual([0, 0]);
    expect(onDuplicate).not.toHaveBeenCalled();
  });

  it('tells apart different people, buttons, values and messages', async () => {
    const kit = coreKit();
    const middleware = deliveredOnce(kit.store, () => undefined);
    const bodies = [
      clickBody(ACTION.approve, 'U0BOB', 'req1'),
      clickBody(ACTION.approve, 'U0CAROL', 'req1'),
      clickBody(ACTION.reject, 'U0BOB', 'req1'),
      clickBody(ACTION.approve, 'U0BOB', 'req2'),
      clickBody(ACTION.approve, 'U0BOB', 'req1', '1700.0002'),
    ];
    const deliveries = bodies.map((b) => deliver(middleware, b));
    await Promise.all(deliveries.map((d) => d.done));
    expect(deliveries.map((d) => d.next.mock.calls.length)).toEqual([1, 1, 1, 1, 1]);
  });

  it('lets slash commands through (they carry no delivery id)', async () => {
    const kit = coreKit();
    const middleware = deliveredOnce(kit.store, () => undefined);
    const body = { command: '/mcp-canary', text: 'status', user_id: 'U0ALICE' };
    const a = deliver(middleware, body);
    const b = deliver(middleware, body);
    await Promise.all([a.done, b.done]);
    expect([a.next.mock.calls.length, b.next.mock.calls.length]).toEqual([1, 1]);
  });

  it('lets everything through when the store is down', async () => {
    const kit = coreKit();
    kit.storeFault.down();
    const middleware = deliveredOnce(kit.store, () => undefined);
    const a = deliver(middleware, clickBody(ACTION.approve));
    const b = deliver(middleware, clickBody(ACTION.approve));
    await Promise.all([a.done, b.done]);
    expect([a.next.mock.calls.length, b.next.mock.calls.length]).toEqual([1, 1]);
  });

  it('waits at most 250 ms for a stalled store, then lets the delivery through', async () => {
    const kit = coreKit();
    kit.storeFault.stall();
    const middleware = deliveredOnce(kit.store, () => undefined);
    const started = Date.now();
    const a = deliver(middleware, clickBody(ACTION.approve));
    await a.done;
    expect(a.next).toHaveBeenCalledTimes(1);
    expect(Date.now() - started).toBeLessThan(700);
  });
});

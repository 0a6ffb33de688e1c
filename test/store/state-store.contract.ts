// The StateStore contract (src/core/ports.ts) as one suite that every implementation runs: the Redis store
// and the memory store must behave alike, TTLs included. TTLs are short (100-300 ms) and the waits are real,
// so the same tests run against a real redis-server. Each test opens stores of its own (empty, and closed
// when it ends), so the tests run side by side: the suite takes about as long as its longest wait.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StoreLimits } from '../../src/adapters/store/limits.js';
import type { AlertGroupRecord, ApprovalRequest, AuditEntry, EvidenceSnapshot } from '../../src/core/entities.js';
import type { StateStore } from '../../src/core/ports.js';

export interface StateStoreHarness {
  /** A new store with empty state of its own, keeping things as long as `limits` say (defaults otherwise). */
  open(limits?: Partial<StoreLimits>): Promise<StateStore>;
  /**
   * Another handle on the state of `store`, as another replica would hold it (same limits). The memory
   * store serves one process only and returns `store` itself.
   */
  peer(store: StateStore): Promise<StateStore>;
  /** A store whose backend cannot be reached, for implementations that have a backend. */
  unreachable?(): Promise<StateStore>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `ms` after `start` (waits measured from one origin do not add up their own delays). */
const at = (start: number, ms: number) => sleep(Math.max(0, start + ms - Date.now()));

const evidence = (verdict: 'GO' | 'NO-GO' = 'GO'): EvidenceSnapshot => ({
  verdict,
  evaluatedAt: '2026-11-24T09:00:00.000Z',
  criteria: [{ label: 'Rust error rate', value: '0.02%', threshold: '< 0.1%', pass: verdict === 'GO' }],
  reasons: verdict === 'GO' ? [] : ['Rust error rate 0.4% >= 0.1%'],
});

function approvalRequest(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id: randomUUID(),
    kind: 'weight',
    status: 'pending',
    requestedBy: 'U0ALICE',
    requestedAt: '2026-11-24T09:00:00.000Z',
    expiresAt: '2026-11-24T09:30:00.000Z',
    fromPercent: 5,
    toPercent: 10,
    evidence: evidence(),
    channel: 'C0ONCALL',
    ...overrides,
  };
}

function auditEntry(n: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return { at: new Date(Date.UTC(2026, 10, 24, 9, 0, n)).toISOString(), actor: 'U0ALICE', action: 'weight-decreased', summary: `entry ${n}`, ...overrides };
}

function alertGroup(id: string, overrides: Partial<AlertGroupRecord> = {}): AlertGroupRecord {
  return {
    id,
    groupKey: `{}:{alertname="MCPRustGatewayErrorRateHigh"}/${id}`,
    status: 'firing',
    alerts: [
      {
        fingerprint: 'f1',
        name: 'MCPRustGatewayErrorRateHigh',
        severity: 'critical',
        status: 'firing',
        summary: 'Rust gateway error rate above 1%',
        startsAt: '2026-11-24T09:00:00.000Z',
        labels: { alertname: 'MCPRustGatewayErrorRateHigh', severity: 'critical' },
      },
    ],
    groupLabels: { alertname: 'MCPRustGatewayErrorRateHigh' },
    commonLabels: { severity: 'critical' },
    truncatedAlerts: 0,
    critical: true,
    firingSince: '2026-11-24T09:00:00.000Z',
    episode: 1,
    escalated: [],
    ...overrides,
  };
}

const NOW = new Date('2026-11-24T09:00:00.000Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);
const ids = (claims: Array<{ id: string }>) => claims.map((c) => c.id);

export function describeStateStoreContract(name: string, harness: StateStoreHarness): void {
  const test = it.extend<{ opened: StateStore[]; open: StateStoreHarness['open']; peer: StateStoreHarness['peer'] }>({
    // vitest reads what a fixture needs from its first parameter's pattern: this one needs nothing.
    opened: async ({}, use) => {
      const stores: StateStore[] = [];
      await use(stores);
      await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
    },
    open: async ({ opened }, use) =>
      use(async (limits) => {
        const store = await harness.open(limits);
        opened.push(store);
        return store;
      }),
    peer: async ({ opened }, use) =>
      use(async (store) => {
        const other = await harness.peer(store);
        opened.push(other);
        return other;
      }),
  });

  describe.concurrent(`StateStore contract: ${name}`, () => {
    describe('ping', () => {
      test('resolves while the store is reachable', async ({ open }) => {
        const store = await open();
        await expect(store.ping()).resolves.toBeUndefined();
      });

      // Only a store behind a network can be unreachable: the memory store has no such case.
      if (harness.unreachable) {
        const unreachable = harness.unreachable;
        test('rejects, quickly, when the store cannot be reached', async ({ opened }) => {
          const store = await unreachable();
          opened.push(store);
          const started = Date.now();
          await expect(store.ping()).rejects.toThrow();
          expect(Date.now() - started).toBeLessThan(3000);
        });
      }
    });

    describe('approval requests', () => {
      test('createRequest stores a pending request that getRequest and getPendingRequest return', async ({ open, peer }) => {
        const store = await open();
        expect(await store.getPendingRequest()).toBeUndefined();
        const request = approvalRequest();
        expect(await store.createRequest(request, 60_000)).toEqual({ created: true, request });
        expect(await store.getRequest(request.id)).toEqual(request);
        expect(await store.getPendingRequest()).toEqual(request);
        expect(await store.getRequest(randomUUID())).toBeUndefined();
        const other = await peer(store);
        expect(await other.getPendingRequest()).toEqual(request);
      });

      test('keeps one pending request at a time: a second one is refused, naming the pending one, and not stored', async ({ open, peer }) => {
        const store = await open();
        const first = approvalRequest();
        const second = approvalRequest({ requestedBy: 'U0BOB', toPercent: 25 });
        await store.createRequest(first, 60_000);
        expect(await store.createRequest(second, 60_000)).toEqual({ created: false, pending: first });
        expect(await (await peer(store)).createRequest(second, 60_000)).toEqual({ created: false, pending: first });
        expect(await store.getRequest(second.id)).toBeUndefined();
        expect(await store.getPendingRequest()).toEqual(first);
      });

      test('lets exactly one of several concurrent creates win, on every handle', async ({ open, peer }) => {
        const store = await open();
        const handles = [store, await peer(store), await peer(store)];
        const requests = Array.from({ length: 6 }, (_, i) => approvalRequest({ requestedBy: `U0USER${i}` }));
        const results = await Promise.all(requests.map((r, i) => handles[i % handles.length]!.createRequest(r, 60_000)));
        const winners = results.flatMap((r) => (r.created ? [r.request] : []));
        expect(winners).toHaveLength(1);
        for (const r of results) if (!r.created) expect(r.pending).toEqual(winners[0]);
        expect(await store.getPendingRequest()).toEqual(winners[0]);
      });

      test('frees the slot once the pending request is decided: the next one can be created', async ({ open }) => {
        const store = await open();
        const first = approvalRequest();
        await store.createRequest(first, 60_000);
        const rejected = await store.transitionRequest(first.id, 'pending', { status: 'rejected', decidedBy: 'U0BOB' });
        expect(rejected).toEqual({ ...first, status: 'rejected', decidedBy: 'U0BOB' });
        expect(await store.getPendingRequest()).toBeUndefined();
        const second = approvalRequest();
        expect(await store.createRequest(second, 60_000)).toEqual({ created: true, request: second });
        expect(await store.getPendingRequest()).toEqual(second);
        expect(await store.getRequest(first.id)).toEqual(rejected);
      });

      test('transitionRequest is a compare-and-set on the status: it applies its changes only from the expected status', async ({ open, peer }) => {
        const store = await open();
        const request = approvalRequest();
        await store.createRequest(request, 60_000);

        expect(await store.transitionRequest(request.id, 'applying', { status: 'applied' })).toBeUndefined();
        expect(await store.transitionRequest(randomUUID(), 'pending', { status: 'applying' })).toBeUndefined();
        expect(await store.getRequest(request.id)).toEqual(request);

        // Without a status the request stays where it is, and stays the pending one.
        const posted = await store.transitionRequest(request.id, 'pending', { messageTs: '1700000000.000100' });
        expect(posted).toEqual({ ...request, messageTs: '1700000000.000100' });
        expect(await store.getPendingRequest()).toEqual(posted);

        const applying = await store.transitionRequest(request.id, 'pending', { status: 'applying', decidedBy: 'U0BOB', decisionEvidence: evidence() });
        expect(applying).toEqual({ ...posted, status: 'applying', decidedBy: 'U0BOB', decisionEvidence: evidence() });
        expect(await store.getRequest(request.id)).toEqual(applying);
        expect(await store.getPendingRequest()).toBeUndefined();

        expect(await store.transitionRequest(request.id, 'pending', { status: 'rejected' })).toBeUndefined();
        const applied = await store.transitionRequest(request.id, 'applying', { status: 'applied', decidedAt: '2026-11-24T09:05:00.000Z' });
        expect(applied).toEqual({ ...applying, status: 'applied', decidedAt: '2026-11-24T09:05:00.000Z' });
        expect(await (await peer(store)).getRequest(request.id)).toEqual(applied);
      });

      test('lets exactly one of two concurrent transitions from the same status win (two approvers, two replicas)', async ({ open, peer }) => {
        const store = await open();
        const other = await peer(store);
        for (let round = 0; round < 10; round++) {
          const request = approvalRequest();
          expect((await store.createRequest(request, 60_000)).created).toBe(true);
          const [a, b] = await Promise.all([
            store.transitionRequest(request.id, 'pending', { status: 'applying', decidedBy: 'U0BOB' }),
            other.transitionRequest(request.id, 'pending', { status: round % 2 ? 'rejected' : 'applying', decidedBy: 'U0CAROL' }),
          ]);
          const winners = [a, b].filter((r) => r !== undefined);
          expect(winners, `round ${round}`).toHaveLength(1);
          expect(await store.getRequest(request.id)).toEqual(winners[0]);
          expect(await store.getPendingRequest()).toBeUndefined();
        }
      });

      test('never loses an update: concurrent transitions that all succeed are all applied', async ({ open, peer }) => {
        const store = await open();
        const handles = [store, await peer(store), await peer(store)];
        for (let round = 0; round < 5; round++) {
          const request = approvalRequest();
          await store.createRequest(request, 60_000);
          const changes: Array<Partial<ApprovalRequest>> = [{ messageTs: `1700000000.00010${round}` }, { channel: 'C0OTHER' }, { decisionEvidence: evidence(round % 2 ? 'GO' : 'NO-GO') }];
          const results = await Promise.all(changes.map((c, i) => handles[(i + round) % 3]!.transitionRequest(request.id, 'pending', c)));
          expect(results.every((r) => r !== undefined), `round ${round}`).toBe(true);
          expect(await store.getRequest(request.id)).toEqual({ ...request, ...changes[0], ...changes[1], ...changes[2] });
          // And a status change racing with them still lands on top of every change made before it.
          const [posted, decided] = await Promise.all([
            handles[round % 3]!.transitionRequest(request.id, 'pending', { decidedAt: 'late' }),
            handles[(round + 1) % 3]!.transitionRequest(request.id, 'pending', { status: 'rejected', decidedBy: 'U0BOB' }),
          ]);
          const final = await store.getRequest(request.id);
          expect(final).toEqual(decided);
          expect(final).toMatchObject({ status: 'rejected', decidedBy: 'U0BOB', ...changes[0], ...changes[1], ...changes[2], ...(posted ? { decidedAt: 'late' } : {}) });
        }
      });

      test('keeps its own copies: changing what was passed in or handed out changes nothing stored', async ({ open }) => {
        const store = await open();
        const request = approvalRequest();
        const kept = structuredClone(request);
        await store.createRequest(request, 60_000);
        request.toPercent = 100;
        request.evidence.reasons.push('changed by the caller');
        const read = (await store.getRequest(kept.id))!;
        read.evidence.criteria[0]!.pass = false;
        (await store.getPendingRequest())!.evidence.verdict = 'NO-GO';
        expect(await store.getRequest(kept.id)).toEqual(kept);

        const decisionEvidence = evidence();
        const changed = (await store.transitionRequest(kept.id, 'pending', { status: 'applying', decisionEvidence }))!;
        decisionEvidence.reasons.push('changed by the caller');
        changed.decisionEvidence!.verdict = 'NO-GO';
        expect(await store.getRequest(kept.id)).toEqual({ ...kept, status: 'applying', decisionEvidence: evidence() });
      });

      test('stays pending past its TTL (the expiry sweep closes it), then frees the slot once the grace is past, still readable', async ({ open }) => {
        const store = await open({ pendingGraceMs: 200 });
        const first = approvalRequest();
        const start = Date.now();
        await store.createRequest(first, 100);
        await at(start, 150); // past the TTL, within the grace (300 ms)
        expect(await store.getPendingRequest()).toEqual(first);
        expect((await store.createRequest(approvalRequest(), 100)).created).toBe(false);

        await at(start, 450); // past TTL + grace
        expect(await store.getPendingRequest()).toBeUndefined();
        const second = approvalRequest();
        expect(await store.createRequest(second, 60_000)).toEqual({ created: true, request: second });
        // The old one is still readable, and closing it late leaves the new one pending.
        expect(await store.getRequest(first.id)).toEqual(first);
        expect(await store.transitionRequest(first.id, 'pending', { status: 'expired' })).toEqual({ ...first, status: 'expired' });
        expect(await store.getPendingRequest()).toEqual(second);
      });

      test('forgets a request requestRetentionMs after its creation, decided or not (a transition does not extend it)', async ({ open }) => {
        const store = await open({ requestRetentionMs: 300 });
        const decided = approvalRequest();
        const start = Date.now();
        await store.createRequest(decided, 60_000); // forgotten at ~300 ms
        await at(start, 250);
        await store.transitionRequest(decided.id, 'pending', { status: 'applied' });
        expect(await store.getRequest(decided.id)).toEqual({ ...decided, status: 'applied' });
        const undecided = approvalRequest();
        await store.createRequest(undecided, 60_000); // forgotten at ~550 ms

        await at(start, 425);
        expect(await store.getRequest(decided.id)).toBeUndefined();
        expect(await store.transitionRequest(decided.id, 'applied', { status: 'failed' })).toBeUndefined();
        expect(await store.getRequest(undecided.id)).toEqual(undecided);
        await at(start, 700);
        expect(await store.getRequest(undecided.id)).toBeUndefined();
        expect(await store.getPendingRequest()).toBeUndefined();
      });
    });

    describe('audit', () => {
      test('recentAudit returns the newest entries first, up to the limit, as they were appended', async ({ open, peer }) => {
        const store = await open();
        expect(await store.recentAudit(20)).toEqual([]);
        const entries = [
          auditEntry(1, { action: 'weight-change-requested', fromPercent: 5, toPercent: 10, requestId: 'r1', evidence: evidence() }),
          auditEntry(2, { action: 'weight-change-approved', actor: 'U0BOB', fromPercent: 5, toPercent: 10, requestId: 'r1' }),
          auditEntry(3, { action: 'rollback', fromPercent: 10, toPercent: 0, dryRun: true }),
          auditEntry(4),
        ];
        for (const entry of entries) await store.appendAudit(entry);
        expect(await store.recentAudit(20)).toEqual([...entries].reverse());
        expect(await store.recentAudit(2)).toEqual([entries[3], entries[2]]);
        expect(await store.recentAudit(1)).toEqual([entries[3]]);
        expect(await store.recentAudit(0)).toEqual([]);
        expect(await (await peer(store)).recentAudit(20)).toEqual([...entries].reverse());
      });

      test('keeps only the newest auditMaxLength entries', async ({ open }) => {
        const store = await open({ auditMaxLength: 5 });
        for (let n = 1; n <= 12; n++) await store.appendAudit(auditEntry(n));
        expect((await store.recentAudit(100)).map((e) => e.summary)).toEqual(['entry 12', 'entry 11', 'entry 10', 'entry 9', 'entry 8']);
      });

      test('keeps every concurrent append', async ({ open, peer }) => {
        const store = await open();
        const other = await peer(store);
        await Promise.all(Array.from({ length: 10 }, (_, n) => (n % 2 ? store : other).appendAudit(auditEntry(n))));
        const summaries = (await store.recentAudit(100)).map((e) => e.summary);
        expect(summaries.sort()).toEqual(Array.from({ length: 10 }, (_, n) => `entry ${n}`).sort());
      });
    });

    describe('alert groups', () => {
      test('saveAlertGroup stores or replaces the record that getAlertGroup returns', async ({ open, peer }) => {
        const store = await open();
        expect(await store.getAlertGroup('g1')).toBeUndefined();
        const firing = alertGroup('g1');
        await store.saveAlertGroup(firing);
        expect(await store.getAlertGroup('g1')).toEqual(firing);
        const acknowledged = alertGroup('g1', { channel: 'C0ONCALL', ts: '1700000000.000100', acknowledgedBy: 'U0BOB', escalated: [1, 2], renderedHash: 'abc' });
        await store.saveAlertGroup(acknowledged);
        expect(await (await peer(store)).getAlertGroup('g1')).toEqual(acknowledged);
        expect(await store.getAlertGroup('g2')).toBeUndefined();

        acknowledged.escalated.push(3);
        (await store.getAlertGroup('g1'))!.alerts[0]!.labels.severity = 'warning';
        expect(await store.getAlertGroup('g1')).toEqual(alertGroup('g1', { channel: 'C0ONCALL', ts: '1700000000.000100', acknowledgedBy: 'U0BOB', escalated: [1, 2], renderedHash: 'abc' }));
      });

      test('forgets a group alertGroupRetentionMs after its last save', async ({ open }) => {
        const store = await open({ alertGroupRetentionMs: 300 });
        const start = Date.now();
        await store.saveAlertGroup(alertGroup('g1'));
        await store.saveAlertGroup(alertGroup('g2'));
        await at(start, 200);
        await store.saveAlertGroup(alertGroup('g1', { status: 'resolved' })); // g1 lives on to ~500 ms
        await at(start, 375);
        expect(await store.getAlertGroup('g1')).toEqual(alertGroup('g1', { status: 'resolved' }));
        expect(await store.getAlertGroup('g2')).toBeUndefined();
        await at(start, 650);
        expect(await store.getAlertGroup('g1')).toBeUndefined();
      });
    });

    describe('locks', () => {
      test('are exclusive until released with their token; a wrong token releases nothing', async ({ open, peer }) => {
        const store = await open();
        const other = await peer(store);
        const token = await store.acquireLock('alert-group:g1', 10_000);
        expect(token).toEqual(expect.any(String));
        expect(await store.acquireLock('alert-group:g1', 10_000)).toBeUndefined();
        expect(await other.acquireLock('alert-group:g1', 10_000)).toBeUndefined();
        expect(await other.acquireLock('alert-group:g2', 10_000)).toEqual(expect.any(String));

        await other.releaseLock('alert-group:g1', 'not-the-token');
        expect(await other.acquireLock('alert-group:g1', 10_000)).toBeUndefined();
        await store.releaseLock('alert-group:g2', token!); // a token only releases its own lock
        expect(await other.acquireLock('alert-group:g2', 10_000)).toBeUndefined();

        await other.releaseLock('alert-group:g1', token!);
        const next = await other.acquireLock('alert-group:g1', 10_000);
        expect(next).toEqual(expect.any(String));
        expect(next).not.toBe(token);
        await store.releaseLock('nobody-holds-this', 'x'); // releasing what nobody holds does nothing
      });

      test('go to exactly one of several concurrent claimants', async ({ open, peer }) => {
        const store = await open();
        const handles = [store, await peer(store)];
        const tokens = await Promise.all(Array.from({ length: 8 }, (_, i) => handles[i % 2]!.acquireLock('digest', 10_000)));
        expect(tokens.filter((t) => t !== undefined)).toHaveLength(1);
      });

      test('expire after their TTL, and the expired token cannot release the next holder', async ({ open, peer }) => {
        const store = await open();
        const other = await peer(store);
        const start = Date.now();
        const first = await store.acquireLock('alert-group:g1', 300);
        expect(first).toEqual(expect.any(String));
        await at(start, 100);
        expect(await other.acquireLock('alert-group:g1', 300)).toBeUndefined();
        await at(start, 450);
        const second = await other.acquireLock('alert-group:g1', 10_000);
        expect(second).toEqual(expect.any(String));
        await store.releaseLock('alert-group:g1', first!);
        expect(await store.acquireLock('alert-group:g1', 10_000)).toBeUndefined();
      });
    });

    describe('claimOnce', () => {
      test('is true the first time a key is claimed and false afterwards, on every handle; keys are independent', async ({ open, peer }) => {
        const store = await open();
        const other = await peer(store);
        expect(await store.claimOnce('event:Ev1', 10_000)).toBe(true);
        expect(await store.claimOnce('event:Ev1', 10_000)).toBe(false);
        expect(await other.claimOnce('event:Ev1', 10_000)).toBe(false);
        expect(await other.claimOnce('event:Ev2', 10_000)).toBe(true);
      });

      test('is true for exactly one of several concurrent claims', async ({ open, peer }) => {
        const store = await open();
        const handles = [store, await peer(store)];
        const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => handles[i % 2]!.claimOnce('cron:digest:1', 10_000)));
        expect(claims.filter(Boolean)).toHaveLength(1);
      });

      test('is true again once its TTL is past', async ({ open }) => {
        const store = await open();
        const start = Date.now();
        expect(await store.claimOnce('click:rollback', 300)).toBe(true);
        await at(start, 100);
        expect(await store.claimOnce('click:rollback', 300)).toBe(false);
        await at(start, 450);
        expect(await store.claimOnce('click:rollback', 300)).toBe(true);
        expect(await store.claimOnce('click:rollback', 300)).toBe(false);
      });
    });

    describe('durable jobs', () => {
      test('claims due jobs once, earliest first, up to the limit; jobs not yet due stay', async ({ open, peer }) => {
        const store = await open();
        await store.scheduleJob('escalate|g1|1|3', later(-1000));
        await store.scheduleJob('escalate|g1|1|2', later(-2000));
        await store.scheduleJob('escalate|g1|1|1', later(-3000));
        await store.scheduleJob('escalate|g2|1|2', later(60_000));
        await store.scheduleJob('escalate|g3|1|2', NOW); // due exactly now is due
        expect(ids(await store.claimDueJobs(NOW, 2))).toEqual(['escalate|g1|1|1', 'escalate|g1|1|2']);
        expect(ids(await store.claimDueJobs(NOW, 10))).toEqual(['escalate|g1|1|3', 'escalate|g3|1|2']);
        expect(await store.claimDueJobs(NOW, 10)).toEqual([]);
        expect(await store.claimDueJobs(later(59_999), 10)).toEqual([]);
        expect(ids(await (await peer(store)).claimDueJobs(later(60_000), 10))).toEqual(['escalate|g2|1|2']);
        expect(await store.claimDueJobs(later(3_600_000), 10)).toEqual([]);
      });

      test('gives concurrent claimers disjoint sets that together hold every due job', async ({ open, peer }) => {
        const store = await open();
        const handles = [store, await peer(store), await peer(store)];
        const due = Array.from({ length: 30 }, (_, i) => `job-${String(i).padStart(2, '0')}`);
        for (const [i, id] of due.entries()) await store.scheduleJob(id, later(-i * 10));
        await store.scheduleJob('not-yet', later(1000));
        const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => handles[i % 3]!.claimDueJobs(NOW, 50)));
        const all = ids(claims.flat());
        expect(all.length).toBe(new Set(all).size);
        expect(all.sort()).toEqual(due);
      });

      test('cancelJobs removes the named jobs and ignores unknown ids and an empty list', async ({ open }) => {
        const store = await open();
        for (const id of ['a', 'b', 'c']) await store.scheduleJob(id, later(-1000));
        await store.cancelJobs([]);
        await store.cancelJobs(['a', 'c', 'unknown']);
        expect(await store.claimDueJobs(NOW, 10)).toEqual([{ id: 'b' }]);
      });

      test('moves the due time of an id scheduled again (one job per id)', async ({ open }) => {
        const store = await open();
        await store.scheduleJob('escalate|g1|1|2', later(-1000));
        await store.scheduleJob('escalate|g1|1|2', later(60_000));
        expect(await store.claimDueJobs(NOW, 10)).toEqual([]);
        await store.scheduleJob('escalate|g1|1|2', later(-5000));
        expect(ids(await store.claimDueJobs(NOW, 10))).toEqual(['escalate|g1|1|2']);
        expect(await store.claimDueJobs(later(120_000), 10)).toEqual([]);
      });

      test('keeps a payload with its job, to any replica; scheduling again replaces it; cancel and claim take it off', async ({ open, peer }) => {
        const store = await open();
        const words = JSON.stringify({ channel: 'C0ONCALL', text: 'Drift: 5% → 20% ü ✓ |@' });
        await store.scheduleJob('announce|1', later(-3000), words);
        await store.scheduleJob('announce|2', later(-2000), 'first');
        await store.scheduleJob('announce|2', later(-2000), 'second');
        await store.scheduleJob('announce|3', later(-1000), 'dropped');
        await store.scheduleJob('announce|3', later(-1000));
        await store.scheduleJob('announce|4', later(-500), 'cancelled');
        await store.cancelJobs(['announce|4']);
        await store.scheduleJob('announce|4', later(-500));
        expect(await (await peer(store)).claimDueJobs(NOW, 10)).toEqual([
          { id: 'announce|1', payload: words },
          { id: 'announce|2', payload: 'second' },
          { id: 'announce|3' },
          { id: 'announce|4' },
        ]);
        // Taken off with its job: the same id scheduled again carries no stale payload.
        await store.scheduleJob('announce|1', later(-1));
        expect(await store.claimDueJobs(NOW, 10)).toEqual([{ id: 'announce|1' }]);
      });

      test('claims only ids with one of the given prefixes, leaving the others due', async ({ open }) => {
        const store = await open();
        await store.scheduleJob('escalate|g1|1|2', later(-3000));
        await store.scheduleJob('announce|a', later(-2000), 'a');
        await store.scheduleJob('announcer|x', later(-1500));
        await store.scheduleJob('announce|b@1', later(-1000), 'b');
        expect(await store.claimDueJobs(NOW, 1, { prefixes: ['announce|'] })).toEqual([{ id: 'announce|a', payload: 'a' }]);
        expect(await store.claimDueJobs(NOW, 10, { prefixes: [] })).toEqual([]);
        expect(await store.claimDueJobs(NOW, 10, { prefixes: ['announce|', 'nothing|'] })).toEqual([{ id: 'announce|b@1', payload: 'b' }]);
        expect(ids(await store.claimDueJobs(NOW, 10, { prefixes: ['escalate|'] }))).toEqual(['escalate|g1|1|2']);
        expect(ids(await store.claimDueJobs(NOW, 10))).toEqual(['announcer|x']);
      });

      test('a leased claim stays in the store: due again when the lease ends, unless cancelled or scheduled again', async ({ open, peer }) => {
        const store = await open();
        await store.scheduleJob('escalate|g1|1|2', later(-1000), 'p');
        await store.scheduleJob('escalate|g2|1|2', later(-1000));
        await store.scheduleJob('escalate|g3|1|2', later(-1000));
        const other = await peer(store);
        expect(await store.claimDueJobs(NOW, 10, { leaseMs: 60_000 })).toEqual([{ id: 'escalate|g1|1|2', payload: 'p' }, { id: 'escalate|g2|1|2' }, { id: 'escalate|g3|1|2' }]);
        // Leased: no other replica gets them meanwhile.
        expect(await other.claimDueJobs(later(59_999), 10, { leaseMs: 60_000 })).toEqual([]);
        await store.cancelJobs(['escalate|g2|1|2']); // done
        await store.scheduleJob('escalate|g3|1|2@1', later(5000)); // retried under its retry id…
        await store.cancelJobs(['escalate|g3|1|2']); // …and the claimed id taken off
        // g1's claimer died: g1 is due again, payload and all, when the lease ends.
        expect(await other.claimDueJobs(later(60_000), 10)).toEqual([{ id: 'escalate|g3|1|2@1' }, { id: 'escalate|g1|1|2', payload: 'p' }]);
        expect(await store.claimDueJobs(later(3_600_000), 10)).toEqual([]);
      });

      test('concurrent leased claims never hand one job to two replicas', async ({ open, peer }) => {
        const store = await open();
        const handles = [store, await peer(store), await peer(store)];
        const due = Array.from({ length: 20 }, (_, i) => `announce|${String(i).padStart(2, '0')}`);
        for (const id of due) await store.scheduleJob(id, later(-100), id);
        const claims = await Promise.all(Array.from({ length: 30 }, (_, i) => handles[i % 3]!.claimDueJobs(NOW, 1, { prefixes: ['announce|'], leaseMs: 60_000 })));
        const all = claims.flat();
        expect(all.every((job) => job.payload === job.id)).toBe(true);
        expect(ids(all).sort()).toEqual(due);
      });
    });

    describe('values', () => {
      test('round-trip JSON values; unknown keys are undefined; setValue replaces', async ({ open, peer }) => {
        const store = await open();
        expect(await store.getValue('canary:known')).toBeUndefined();
        const known = { exists: true, weight: 5, total: 100, rules: { 'canary-by-header': 'X-Canary' }, steps: [1, 5, null], note: 'ü ✓' };
        await store.setValue('canary:known', known);
        expect(await store.getValue('canary:known')).toEqual(known);
        await store.setValue('canary:known', { exists: false });
        expect(await (await peer(store)).getValue('canary:known')).toEqual({ exists: false });
        for (const value of [0, 'text', false, null, [1, 'two']]) {
          await store.setValue('scalar', value);
          expect(await store.getValue('scalar')).toEqual(value);
        }
        // As JSON: a Date comes back as its ISO string, and what is handed out is a copy.
        await store.setValue('when', { at: NOW });
        const when = (await store.getValue<{ at: string }>('when'))!;
        expect(when).toEqual({ at: NOW.toISOString() });
        when.at = 'changed';
        expect(await store.getValue('when')).toEqual({ at: NOW.toISOString() });
      });

      test('live apart from locks, claims, alert groups and requests of the same name', async ({ open }) => {
        const store = await open();
        await store.setValue('same', { v: 1 });
        expect(await store.acquireLock('same', 10_000)).toEqual(expect.any(String));
        expect(await store.claimOnce('same', 10_000)).toBe(true);
        await store.saveAlertGroup(alertGroup('same'));
        await store.scheduleJob('same', later(-1));
        expect(await store.getValue('same')).toEqual({ v: 1 });
        expect(await store.getAlertGroup('same')).toEqual(alertGroup('same'));
        expect(await store.getRequest('same')).toBeUndefined();
        await store.setValue('pending', 'x');
        await store.setValue('audit', 'x');
        await store.setValue('jobs', 'x');
        expect(await store.getPendingRequest()).toBeUndefined();
        expect(await store.recentAudit(10)).toEqual([]);
        expect(await store.claimDueJobs(NOW, 10)).toEqual([{ id: 'same' }]);
      });
    });

    describe('close', () => {
      test('resolves, twice too, and loses nothing that other handles read', async ({ open, peer }) => {
        const store = await open();
        const other = await peer(store);
        await store.setValue('canary:known', { exists: true });
        await store.appendAudit(auditEntry(1));
        await store.close();
        await store.close();
        expect(await other.getValue('canary:known')).toEqual({ exists: true });
        expect(await other.recentAudit(10)).toEqual([auditEntry(1)]);
      });
    });
  });
}

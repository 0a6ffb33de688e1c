// Alerts in the channel: one message per Alertmanager group, updated in place; resolution and news in its
// thread; escalation L1 → L2 → L3 for unacknowledged critical alerts through durable, claim-once timers;
// optional auto-rollback for the runbook's rollback alerts. Alertmanager repeats and retries, so every
// step is idempotent: the group record in the shared store says what was already said and done.
import { createHash } from 'node:crypto';
import type { AlertDeps } from './deps.js';
import type { AlertPolicy } from './policy.js';
import type { StateStore } from './ports.js';
import type { AlertGroupRecord, AlertInstance, AlertMessageContext, AlertNotification, AlertThreadNews, DiagnoseScope, EvidenceSnapshot } from './entities.js';
import { percentOf } from './ramp.js';
import { runDueJobs, type JobHandler, type JobsRun, type RunJobsOptions } from './jobs.js';
import { automaticRollback, cancelPendingAfterRollback, movedTraffic } from './rollback.js';
import { describe } from './errors.js';


const LOCK_TTL_MS = 15_000;
const LOCK_WAIT_MS = 10_000;

export function alertGroupId(groupKey: string): string {
  return createHash('sha256').update(groupKey).digest('hex').slice(0, 16);
}

export type NotificationResult = { kind: 'posted' | 'updated' | 'unchanged'; record: AlertGroupRecord } | { kind: 'degraded'; reason: string };

/** The Alertmanager webhook, after its adapter parsed and validated it. */
export async function receiveAlertNotification(deps: AlertDeps, notification: AlertNotification): Promise<NotificationResult> {
  const id = alertGroupId(notification.groupKey);
  let lock: string | undefined;
  try {
    lock = await acquireWithWait(deps.store, `alert-group:${id}`);
  } catch (error) {
    return receiveWithoutStore(deps, notification, describe(error));
  }
  try {
    const now = deps.clock.now();
    const previous = await deps.store.getAlertGroup(id);
    const { record, events } = mergeNotification(previous, notification, id, now, deps.alertPolicy);
    const context = await messageContext(deps, record);
    let kind: 'posted' | 'updated' | 'unchanged';
    const hash = renderedHash(record, context);
    if (!record.ts) {
      const where = await deps.announcer.post(record, context);
      record.channel = where.channel;
      record.ts = where.ts;
      kind = 'posted';
    } else if (hash !== record.renderedHash) {
      await deps.announcer.update(record, context);
      kind = 'updated';
    } else {
      kind = 'unchanged';
    }
    record.renderedHash = hash;
    // Saved as soon as the message exists: a retry after a later failure updates it instead of posting again.
    await deps.store.saveAlertGroup(record);
    for (const event of events) {
      // The message itself shows the state; a lost thread note must not make Alertmanager re-send everything.
      await tellThread(deps, record, event).catch((error: unknown) => deps.logger.warn({ err: describe(error), event: event.kind }, 'could not post in the alert thread'));
    }

    if (record.status === 'resolved') {
      await deps.store.cancelJobs(escalationJobIds(record));
    } else if (needsEscalation(record, deps.alertPolicy)) {
      await startEscalation(deps, record);
      // The message says who was notified: updated now, not at Alertmanager's next repeat.
      const escalated = await messageContext(deps, record);
      const escalatedHash = renderedHash(record, escalated);
      if (escalatedHash !== record.renderedHash) {
        await deps.announcer
          .update(record, escalated)
          .then(() => (record.renderedHash = escalatedHash))
          .catch((error: unknown) => deps.logger.warn({ err: describe(error), group: id }, 'could not update the alert message after L1'));
      }
    }
    // Save before a possible auto-rollback so a crash there cannot repeat what was already posted.
    await deps.store.saveAlertGroup(record);
    if (shouldAutoRollback(record, deps.alertPolicy)) await autoRollback(deps, record);
    return { kind, record };
  } finally {
    await deps.store.releaseLock(`alert-group:${id}`, lock).catch(() => undefined);
  }
}

/** Pure: the group's new state from the previous one and a notification, and what to say in its thread. */
export function mergeNotification(
  previous: AlertGroupRecord | undefined,
  n: AlertNotification,
  id: string,
  now: Date,
  policy: Pick<AlertPolicy, 'criticalSeverity'>,
): { record: AlertGroupRecord; events: AlertThreadNews[] } {
  const firingNames = (alerts: AlertInstance[]) => [...new Set(alerts.filter((a) => a.status === 'firing').map((a) => a.name))];
  const events: AlertThreadNews[] = [];
  const alerts = n.alerts.map((a) => ({ ...a, critical: a.severity === policy.criticalSeverity }));
  const base = {
    groupKey: n.groupKey,
    status: n.status,
    alerts,
    groupLabels: n.groupLabels,
    commonLabels: n.commonLabels,
    externalURL: n.externalURL,
    truncatedAlerts: n.truncatedAlerts,
    critical: alerts.some((a) => a.critical),
  };
  if (!previous) {
    const starts = n.alerts.map((a) => Date.parse(a.startsAt)).filter((t) => !Number.isNaN(t));
    const since = starts.length ? new Date(Math.min(...starts)) : now;
    return {
      record: { id, ...base, firingSince: since.toISOString(), episode: 1, escalated: [], resolvedAt: n.status === 'resolved' ? now.toISOString() : undefined },
      events: [],
    };
  }
  const record: AlertGroupRecord = { ...previous, ...base };
  if (previous.status === 'firing' && n.status === 'resolved') {
    record.resolvedAt = now.toISOString();
    events.push({ kind: 'resolved', at: record.resolvedAt });
  } else if (previous.status === 'resolved' && n.status === 'firing') {
    // A new firing episode: acknowledgement, escalation and auto-rollback start over.
    Object.assign(record, {
      episode: previous.episode + 1,
      firingSince: now.toISOString(),
      resolvedAt: undefined,
      acknowledgedBy: undefined,
      acknowledgedAt: undefined,
      acknowledgedVia: undefined,
      escalated: [],
      autoRollback: undefined,
    });
    events.push({ kind: 'refired', at: now.toISOString(), names: firingNames(n.alerts) });
  } else if (n.status === 'firing') {
    const before = new Set(firingNames(previous.alerts));
    const joined = firingNames(n.alerts).filter((name) => !before.has(name));
    if (joined.length) events.push({ kind: 'joined', names: joined });
  }
  return { record, events };
}

export function needsEscalation(record: AlertGroupRecord, policy: AlertPolicy): boolean {
  return record.status === 'firing' && record.critical && !record.acknowledgedAt && !record.escalated.includes(1);
}

function escalationTargets(policy: AlertPolicy): Array<{ level: number; target?: string; afterMs: number }> {
  const e = policy.escalation;
  return [
    { level: 1, target: e.l1, afterMs: 0 },
    { level: 2, target: e.l2, afterMs: e.l2AfterMs },
    { level: 3, target: e.l3, afterMs: e.l3AfterMs },
  ];
}

function escalationJobId(record: AlertGroupRecord, level: number): string {
  return `escalate|${record.id}|${record.episode}|${level}`;
}

function escalationJobIds(record: AlertGroupRecord): string[] {
  return [1, 2, 3].map((level) => escalationJobId(record, level));
}

/**
 * L1 at once; L2 and L3 as durable timers from the start of the firing episode. L1 is a timer too, due
 * now: if Slack cannot take it at once, the job runner retries it instead of the mention being lost.
 */
async function startEscalation(deps: AlertDeps, record: AlertGroupRecord): Promise<void> {
  const since = Date.parse(record.firingSince);
  const base = Number.isNaN(since) ? deps.clock.now().getTime() : since;
  for (const step of escalationTargets(deps.alertPolicy)) {
    if (step.target) await deps.store.scheduleJob(escalationJobId(record, step.level), new Date(step.level === 1 ? deps.clock.now().getTime() : base + step.afterMs));
  }
  const l1 = escalationTargets(deps.alertPolicy)[0]!;
  if (!l1.target) {
    record.escalated.push(1);
    return;
  }
  try {
    await mentionOnce(deps, record, 1, l1.target);
    await deps.store.cancelJobs([escalationJobId(record, 1)]);
  } catch (error) {
    deps.logger.warn({ err: describe(error), group: record.id }, 'L1 escalation not delivered; its timer retries it');
  }
}

/**
 * Mentions one level in the thread, never twice: the level is saved as mentioned before the post (saved after
 * it, a failed save would make the retry mention it again) and taken back when the post fails, so the retry
 * delivers it. Throws (to be retried) when either the save or the post failed.
 */
async function mentionOnce(deps: AlertDeps, record: AlertGroupRecord, level: number, target: string): Promise<void> {
  const before = record.escalated;
  record.escalated = [...before, level];
  try {
    await deps.store.saveAlertGroup(record);
  } catch (error) {
    record.escalated = before;
    throw error;
  }
  try {
    await tellThread(deps, record, escalationEvent(deps, record, level, target));
  } catch (error) {
    record.escalated = before;
    await deps.store
      .saveAlertGroup(record)
      .catch((saveError: unknown) => deps.logger.error({ err: describe(saveError), group: record.id, level }, 'escalation not delivered and not taken back: its retry will not mention it'));
    throw error;
  }
}

function escalationEvent(deps: AlertDeps, record: AlertGroupRecord, level: number, target: string): AlertThreadNews {
  const names = [...new Set(record.alerts.filter((a) => a.status === 'firing').map((a) => a.name))];
  return { kind: 'escalation', level, target, names, action: names.map((n) => deps.alertPolicy.actions[n]).find(Boolean) };
}

/** Runs the durable timers that are due (escalations). Each is claimed by one replica; failures are retried. */
export function runDueEscalations(deps: AlertDeps, options: RunJobsOptions = {}): Promise<JobsRun> {
  return runDueJobs(deps, { escalate: escalationJob(deps) }, options);
}

/** One escalation step: mention the level's target in the thread unless it became moot. Throws to be retried. */
function escalationJob(deps: AlertDeps): JobHandler {
  return {
    describe: ([id, episode, level]) => `escalation L${level} of alert group ${id} (episode ${episode})`,
    run: async ([id = '', episode, levelText]) => {
      const level = Number(levelText);
      const lock = await acquireWithWait(deps.store, `alert-group:${id}`);
      try {
        const record = await deps.store.getAlertGroup(id);
        const target = escalationTargets(deps.alertPolicy).find((s) => s.level === level)?.target;
        if (!record || !target || String(record.episode) !== episode || record.status !== 'firing' || record.acknowledgedAt) return;
        if (record.escalated.includes(level)) return;
        await mentionOnce(deps, record, level, target);
        await deps.announcer
          .update(record, await messageContext(deps, record))
          .catch((error: unknown) => deps.logger.warn({ err: describe(error), group: id }, 'could not update the alert message after an escalation'));
      } finally {
        await deps.store.releaseLock(`alert-group:${id}`, lock).catch(() => undefined);
      }
    },
  };
}

export type AcknowledgeOutcome =
  | { kind: 'acknowledged'; record: AlertGroupRecord }
  | { kind: 'already'; record: AlertGroupRecord }
  | { kind: 'resolved'; record: AlertGroupRecord }
  | { kind: 'not-found' }
  | { kind: 'unavailable'; message: string };

/** The Acknowledge button, and every rollback from an alert message (a rollback is an acknowledgement). */
export async function acknowledgeAlertGroup(
  deps: AlertDeps,
  input: { groupId: string; actor: string; via: 'button' | 'rollback' | 'auto-rollback' },
): Promise<AcknowledgeOutcome> {
  let lock: string;
  try {
    lock = await acquireWithWait(deps.store, `alert-group:${input.groupId}`);
  } catch (error) {
    return { kind: 'unavailable', message: `The state store is unreachable (${describe(error)}); the acknowledgement was not recorded. Rollback still works.` };
  }
  try {
    const record = await deps.store.getAlertGroup(input.groupId);
    if (!record) return { kind: 'not-found' };
    if (record.acknowledgedAt) return { kind: 'already', record };
    if (record.status === 'resolved' && input.via === 'button') return { kind: 'resolved', record };
    const at = deps.clock.now().toISOString();
    Object.assign(record, { acknowledgedBy: input.actor, acknowledgedAt: at, acknowledgedVia: input.via });
    await deps.store.cancelJobs(escalationJobIds(record));
    await deps.store.saveAlertGroup(record);
    deps.audit.record({
      at,
      actor: input.actor,
      action: 'alert-acknowledged',
      summary: `acknowledged ${alertNames(record)}${input.via === 'button' ? '' : ` by ${input.via}`}: escalation stopped`,
    });
    const context = await messageContext(deps, record);
    record.renderedHash = renderedHash(record, context);
    await deps.announcer.update(record, context);
    await tellThread(deps, record, { kind: 'acknowledged', by: input.actor, at, via: input.via });
    await deps.store.saveAlertGroup(record);
    return { kind: 'acknowledged', record };
  } finally {
    await deps.store.releaseLock(`alert-group:${input.groupId}`, lock).catch(() => undefined);
  }
}

export type SilenceOutcome =
  | { kind: 'silenced'; record: AlertGroupRecord; silenceId: string; until: string }
  | { kind: 'not-found' }
  | { kind: 'failed'; message: string };

/** The "Silence 1h" button: an Alertmanager silence on the group's labels. */
export async function silenceAlertGroup(deps: AlertDeps, input: { groupId: string; actor: string; durationMs: number }): Promise<SilenceOutcome> {
  let lock: string;
  try {
    lock = await acquireWithWait(deps.store, `alert-group:${input.groupId}`);
  } catch (error) {
    return { kind: 'failed', message: `The state store is unreachable (${describe(error)}). Nothing was silenced.` };
  }
  try {
    const record = await deps.store.getAlertGroup(input.groupId);
    if (!record) return { kind: 'not-found' };
    const matchers = Object.keys(record.groupLabels).length ? record.groupLabels : { alertname: record.alerts[0]?.name ?? '' };
    const now = deps.clock.now();
    const until = new Date(now.getTime() + input.durationMs);
    let silenceId: string;
    try {
      silenceId = await deps.alerts.silence({
        matchers,
        startsAt: now,
        endsAt: until,
        requestedBy: input.actor,
        alertNames: [...new Set(record.alerts.map((a) => a.name))],
      });
    } catch (error) {
      return { kind: 'failed', message: `Alertmanager did not create the silence: ${describe(error)}. Nothing was silenced.` };
    }
    record.silence = { id: silenceId, by: input.actor, until: until.toISOString() };
    deps.audit.record({
      at: now.toISOString(),
      actor: input.actor,
      action: 'alert-silenced',
      summary: `silenced ${alertNames(record)} until ${until.toISOString()} (silence ${silenceId}, matchers ${JSON.stringify(matchers)})`,
    });
    const context = await messageContext(deps, record);
    record.renderedHash = renderedHash(record, context);
    await deps.store.saveAlertGroup(record);
    await deps.announcer.update(record, context);
    await tellThread(deps, record, { kind: 'silenced', by: input.actor, until: record.silence.until, silenceId });
    return { kind: 'silenced', record, silenceId, until: record.silence.until };
  } finally {
    await deps.store.releaseLock(`alert-group:${input.groupId}`, lock).catch(() => undefined);
  }
}

export function shouldAutoRollback(record: AlertGroupRecord, policy: AlertPolicy): boolean {
  return (
    policy.autoRollbackOnCritical &&
    record.status === 'firing' &&
    !record.autoRollback &&
    record.alerts.some((a) => a.status === 'firing' && a.severity === policy.criticalSeverity && policy.rollbackAlerts.includes(a.name))
  );
}

async function autoRollback(deps: AlertDeps, record: AlertGroupRecord): Promise<void> {
  // One auto-rollback per group and episode, whichever replica or retry gets here first.
  if (!(await deps.store.claimOnce(`auto-rollback:${record.id}:${record.episode}`, 86_400_000))) return;
  const names = alertNames(record, (a) => deps.alertPolicy.rollbackAlerts.includes(a.name));
  const outcome = await automaticRollback(deps, { actor: 'mcp-canary', source: 'auto', reason: `AUTO_ROLLBACK_ON_CRITICAL: ${names} firing` });
  record.autoRollback = { at: deps.clock.now().toISOString(), outcome: outcome?.kind ?? 'already-rolled-back' };
  // Only the rollback that moved traffic is announced: the guard or another replica may have done it already.
  if (outcome && outcome.kind !== 'already-rolled-back') await tellThread(deps, record, { kind: 'auto-rollback', outcome });
  await deps.store.saveAlertGroup(record);
  if (outcome && movedTraffic(outcome)) {
    await cancelPendingAfterRollback(deps, 'mcp-canary');
    await acknowledgeAlertGroupLocked(deps, record);
  }
}

/** The auto-rollback runs under the group lock already: acknowledge in place. */
async function acknowledgeAlertGroupLocked(deps: AlertDeps, record: AlertGroupRecord): Promise<void> {
  if (record.acknowledgedAt) return;
  const at = deps.clock.now().toISOString();
  Object.assign(record, { acknowledgedBy: 'mcp-canary', acknowledgedAt: at, acknowledgedVia: 'auto-rollback' });
  await deps.store.cancelJobs(escalationJobIds(record));
  const context = await messageContext(deps, record);
  record.renderedHash = renderedHash(record, context);
  await deps.announcer.update(record, context);
  await deps.store.saveAlertGroup(record);
}

/**
 * The store is down: still tell the channel (a fresh message, since we cannot know what was posted) and
 * still auto-rollback if configured, because neither needs the store. Escalation needs it and is skipped.
 */
async function receiveWithoutStore(deps: AlertDeps, n: AlertNotification, reason: string): Promise<NotificationResult> {
  deps.logger.error({ err: reason, groupKey: n.groupKey }, 'alert received while the state store is unreachable');
  const { record } = mergeNotification(undefined, n, alertGroupId(n.groupKey), deps.clock.now(), deps.alertPolicy);
  const context = await messageContext(deps, record);
  const where = await deps.announcer.post(record, context);
  Object.assign(record, where);
  if (shouldAutoRollback(record, deps.alertPolicy)) {
    const outcome = await automaticRollback(deps, { actor: 'mcp-canary', source: 'auto', reason: `AUTO_ROLLBACK_ON_CRITICAL: ${alertNames(record)} firing` });
    if (outcome && outcome.kind !== 'already-rolled-back') await tellThread(deps, record, { kind: 'auto-rollback', outcome });
  }
  return { kind: 'degraded', reason };
}

async function messageContext(deps: AlertDeps, record: AlertGroupRecord): Promise<AlertMessageContext> {
  const actions: Record<string, string> = {};
  const diagnoses: Record<string, DiagnoseScope> = {};
  for (const a of record.alerts) {
    if (deps.alertPolicy.actions[a.name]) actions[a.name] = deps.alertPolicy.actions[a.name]!;
    if (deps.alertPolicy.diagnoses[a.name]) diagnoses[a.name] = deps.alertPolicy.diagnoses[a.name]!;
  }
  const context: AlertMessageContext = { actions, diagnoses, rollbackAlerts: deps.alertPolicy.rollbackAlerts, dryRun: deps.policy.dryRun };
  try {
    context.canaryPercent = percentOf(await deps.router.readRoute());
  } catch (error) {
    context.canaryError = describe(error);
  }
  if (record.status === 'firing' && record.critical && !record.acknowledgedAt) {
    const next = escalationTargets(deps.alertPolicy).find((s) => s.level > 1 && s.target && !record.escalated.includes(s.level));
    const since = Date.parse(record.firingSince);
    if (next && !Number.isNaN(since)) context.nextEscalation = { level: next.level, at: new Date(since + next.afterMs).toISOString() };
  }
  return context;
}

function renderedHash(record: AlertGroupRecord, context: AlertMessageContext): string {
  const { renderedHash: _, ts: __, channel: ___, ...shown } = record;
  return createHash('sha256').update(JSON.stringify([shown, context])).digest('hex').slice(0, 16);
}

function alertNames(record: AlertGroupRecord, filter: (a: AlertInstance) => boolean = () => true): string {
  return [...new Set(record.alerts.filter(filter).map((a) => a.name))].join(', ') || 'alert group';
}

/** Every thread post says whether the bot writes nothing (DRY_RUN), like the group message's context. */
function tellThread(deps: AlertDeps, record: AlertGroupRecord, news: AlertThreadNews): Promise<void> {
  return deps.announcer.thread(record, { ...news, dryRun: deps.policy.dryRun });
}

async function acquireWithWait(store: StateStore, name: string): Promise<string> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const token = await store.acquireLock(name, LOCK_TTL_MS);
    if (token) return token;
    if (Date.now() > deadline) throw new Error(`lock ${name} is held elsewhere for more than ${LOCK_WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * GUARD=page: the guard saw the rollback conditions breached and writes nothing; people must roll back now.
 * The page is an alert group of its own (one message, Acknowledge and Rollback, its thread), so it escalates
 * exactly like a critical alert: L1 at once, L2/L3 on the alert timers, until someone acknowledges or rolls back.
 */
export async function pageForGuard(deps: AlertDeps, input: { episodeStartedAt: string; evidence: EvidenceSnapshot; percent: number }): Promise<AlertGroupRecord> {
  const id = guardPageId(input.episodeStartedAt);
  const lock = await acquireWithWait(deps.store, `alert-group:${id}`);
  try {
    const existing = await deps.store.getAlertGroup(id);
    if (existing) return existing;
    const now = deps.clock.now().toISOString();
    const record: AlertGroupRecord = {
      id,
      origin: 'guard',
      evidence: input.evidence,
      groupKey: `guard:${input.episodeStartedAt}`,
      status: 'firing',
      alerts: [
        {
          fingerprint: id,
          name: 'Rollback conditions breached',
          severity: deps.alertPolicy.criticalSeverity,
          critical: true,
          status: 'firing',
          summary: input.evidence.reasons.join('; '),
          startsAt: input.episodeStartedAt,
          labels: {},
        },
      ],
      groupLabels: {},
      commonLabels: {},
      truncatedAlerts: 0,
      critical: true,
      firingSince: now,
      episode: 1,
      escalated: [],
    };
    const context = await messageContext(deps, record);
    const where = await deps.announcer.post(record, context);
    Object.assign(record, where, { renderedHash: renderedHash(record, context) });
    await deps.store.saveAlertGroup(record);
    await startEscalation(deps, record);
    await deps.store.saveAlertGroup(record);
    return record;
  } finally {
    await deps.store.releaseLock(`alert-group:${id}`, lock).catch(() => undefined);
  }
}

/** The guard's episode ended (conditions clear, or the canary at 0): its page is resolved and stops escalating. */
export async function resolveGuardPage(deps: AlertDeps, episodeStartedAt: string): Promise<void> {
  const id = guardPageId(episodeStartedAt);
  const lock = await acquireWithWait(deps.store, `alert-group:${id}`);
  try {
    const record = await deps.store.getAlertGroup(id);
    if (!record || record.status === 'resolved') return;
    record.status = 'resolved';
    record.resolvedAt = deps.clock.now().toISOString();
    record.alerts = record.alerts.map((a) => ({ ...a, status: 'resolved' }));
    await deps.store.cancelJobs(escalationJobIds(record));
    const context = await messageContext(deps, record);
    record.renderedHash = renderedHash(record, context);
    await deps.store.saveAlertGroup(record);
    await deps.announcer.update(record, context);
    await tellThread(deps, record, { kind: 'resolved', at: record.resolvedAt });
  } finally {
    await deps.store.releaseLock(`alert-group:${id}`, lock).catch(() => undefined);
  }
}

function guardPageId(episodeStartedAt: string): string {
  return `guard-${alertGroupId(episodeStartedAt)}`;
}

// Realistic inputs for the view tests, and helpers to inspect and bound-check Block Kit output.
import type { KnownBlock } from '@slack/types';
import { expect } from 'vitest';
import type { WeightChangeOutcome } from '../../src/core/approvals.js';
import type { DigestReport, WindowedCriterion } from '../../src/core/digest.js';
import type { GoNoGo, RuleCheck, WeightChangeAssessment } from '../../src/core/go-no-go.js';
import type { ApprovalRequest, AuditEntry, CanaryRoute, DeploymentReadiness, EvidenceSnapshot, FiringAlert, RollbackOutcome, RouteRef } from '../../src/core/entities.js';
import type { GuardReport } from '../../src/core/guard.js';
import type { StatusReport } from '../../src/core/status.js';

export const NOW = new Date('2025-03-04T10:15:00.000Z');
export const TARGETS = { namespace: 'stoa-system', rustDeployment: 'mcp-gateway-rust', pythonDeployment: 'mcp-gateway-python' };
export const ROUTE_REF: RouteRef = { router: 'ingress-nginx', kind: 'Ingress', name: 'mcp-gateway-canary', namespace: 'stoa-system' };
export const REQUESTER = 'U0REQUEST1';
export const APPROVER = 'U0APPROVE2';

const HOUR = 3_600_000;

export function route(overrides: Partial<CanaryRoute> = {}): CanaryRoute {
  return {
    ref: ROUTE_REF,
    exists: true,
    percent: 5,
    routingRules: [],
    lastApplied: { percent: 5, at: new Date(NOW.getTime() - 26 * HOUR).toISOString(), by: APPROVER },
    version: '4711',
    conditions: [],
    ...overrides,
  };
}

/** The guard watching, its last check clear. */
export function guardReport(overrides: Partial<GuardReport> = {}): GuardReport {
  return {
    mode: 'rollback',
    intervalMs: 15_000,
    breachesToAct: 2,
    state: {
      breachesInRow: 0,
      noDataInRow: 0,
      noDataWarned: false,
      lastCheck: {
        at: new Date(NOW.getTime() - 10_000).toISOString(),
        percent: 5,
        breach: false,
        noData: false,
        conditions: [
          { id: 'error-rate', label: 'Rust error rate (5m)', value: '0.02%', threshold: '> 0.1%', state: 'clear' },
          { id: 'p99-ratio', label: 'Rust p99 vs Python', value: '180ms vs 150ms (1.20x)', threshold: '> 2x Python p99', state: 'clear' },
          { id: 'rollback-alerts', label: 'Rollback alerts firing', value: 'none', threshold: 'MCPRustGatewayErrorRateHigh, MCPRustGatewayDown', state: 'clear' },
        ],
      },
    },
    ...overrides,
  };
}

export function rust(overrides: Partial<DeploymentReadiness> = {}): DeploymentReadiness {
  return { name: 'mcp-gateway-rust', desired: 3, ready: 3, available: 3, updated: 3, rolloutComplete: true, ...overrides };
}

export function goNoGo(verdict: 'GO' | 'NO-GO' = 'GO', firingAlerts: FiringAlert[] = []): GoNoGo {
  if (verdict === 'GO') {
    return {
      verdict,
      criteria: [
        { id: 'error-rate', label: 'Rust error rate (5m)', value: '0.02%', threshold: '< 0.1%', pass: true },
        { id: 'p99-ratio', label: 'p99 latency vs Python', value: '180ms vs 150ms (1.20x)', threshold: '< 1.5x Python p99', pass: true },
        { id: 'critical-alerts', label: 'Alerts firing (severity="critical")', value: 'none', threshold: 'none', pass: true },
      ],
      reasons: [],
      firingAlerts,
      pausingAlerts: [],
      readings: { errorRate: { ok: true, value: 0.0002 }, rustP99: { ok: true, value: 0.18 }, pythonP99: { ok: true, value: 0.15 } },
      evaluatedAt: NOW,
    };
  }
  const alerts = firingAlerts.length ? firingAlerts : [alert()];
  return {
    verdict,
    criteria: [
      {
        id: 'error-rate',
        label: 'Rust error rate (5m)',
        value: '0.35%',
        threshold: '< 0.1%',
        pass: false,
        reason: 'error rate 0.35% is not below 0.1%',
      },
      { id: 'p99-ratio', label: 'p99 latency vs Python', value: 'unknown', threshold: '< 1.5x Python p99', pass: false, reason: 'p99 unknown: Rust p99 no data' },
      {
        id: 'critical-alerts',
        label: 'Alerts firing (severity="critical")',
        value: `1: ${alerts[0]!.name}`,
        threshold: 'none',
        pass: false,
        reason: `critical alert firing: ${alerts[0]!.name}`,
      },
    ],
    reasons: ['error rate 0.35% is not below 0.1%', 'p99 unknown: Rust p99 no data', `critical alert firing: ${alerts[0]!.name}`],
    firingAlerts: alerts,
    pausingAlerts: [],
    readings: { errorRate: { ok: true, value: 0.0035 }, rustP99: { ok: false, reason: 'no data' }, pythonP99: { ok: true, value: 0.15 } },
    evaluatedAt: NOW,
  };
}

export function alert(overrides: Partial<FiringAlert> = {}): FiringAlert {
  return {
    name: 'MCPRustGatewayErrorRateHigh',
    severity: 'critical',
    summary: 'Rust gateway error rate above 0.1% for 5m',
    startsAt: new Date(NOW.getTime() - 12 * 60_000).toISOString(),
    fingerprint: 'a1b2c3',
    labels: { alertname: 'MCPRustGatewayErrorRateHigh', severity: 'critical' },
    critical: true,
    ...overrides,
  };
}

export function checks(overrides: Partial<Record<string, Partial<RuleCheck>>> = {}): RuleCheck[] {
  const base: RuleCheck[] = [
    { label: 'Canary route', pass: true, detail: 'present' },
    { label: 'Next step only', pass: true, detail: '5% → 10%' },
    { label: 'Hold 48h at step', pass: false, detail: 'held 26h, 22h left' },
    { label: 'Business window', pass: true, detail: 'open (Mon-Fri 09:00-18:00 UTC)' },
    { label: 'Rust deployment ready', pass: true, detail: '3/3 ready' },
    { label: 'Go/no-go', pass: true, detail: 'GO' },
  ];
  return base.map((c) => ({ ...c, ...overrides[c.label] }));
}

export function assessment(checkList: RuleCheck[] = checks(), holdOverrides: Partial<WeightChangeAssessment['hold']> = {}): WeightChangeAssessment {
  const reasons = checkList.filter((c) => !c.pass).map((c) => `${c.label}: ${c.detail}`);
  return {
    allowed: reasons.length === 0,
    reasons,
    checks: checkList,
    hold: { since: new Date(NOW.getTime() - 26 * HOUR), heldMs: 26 * HOUR, remainingMs: 22 * HOUR, satisfied: false, ...holdOverrides },
  };
}

/** The canary at 5% (step 2 of 6), held 26 h of 48 h, GO, window open: next step not yet allowed (hold). */
export function statusReport(overrides: Partial<StatusReport> = {}): StatusReport {
  return {
    at: NOW,
    dryRun: false,
    targets: TARGETS,
    routeRef: ROUTE_REF,
    route: route(),
    guard: guardReport(),
    percent: 5,
    position: { percent: 5, stepNumber: 2, stepCount: 6, onStep: true, nextStep: 10, isFinal: false },
    hold: { since: new Date(NOW.getTime() - 26 * HOUR), heldMs: 26 * HOUR, remainingMs: 22 * HOUR, satisfied: false },
    stepMinHoldMs: 48 * HOUR,
    window: { open: true, description: 'Mon-Fri 09:00-18:00 UTC' },
    goNoGo: goNoGo('GO'),
    rust: rust(),
    next: { targetPercent: 10, assessment: assessment() },
    phase: { name: 'canary', label: 'canary, step 2 of 6 (5%)' },
    criticalSeverity: 'critical',
    ...overrides,
  };
}

/** Everything passes: the next step may be requested. */
export function readyStatusReport(overrides: Partial<StatusReport> = {}): StatusReport {
  return statusReport({
    hold: { since: new Date(NOW.getTime() - 50 * HOUR), heldMs: 50 * HOUR, remainingMs: 0, satisfied: true },
    next: { targetPercent: 10, assessment: assessment(checks({ 'Hold 48h at step': { pass: true, detail: 'held 2d 2h' } })) },
    ...overrides,
  });
}

export function evidence(verdict: 'GO' | 'NO-GO' = 'GO'): EvidenceSnapshot {
  const g = goNoGo(verdict);
  return {
    verdict,
    evaluatedAt: g.evaluatedAt.toISOString(),
    criteria: g.criteria.map(({ label, value, threshold, pass }) => ({ label, value, threshold, pass })),
    reasons: g.reasons,
  };
}

export function approvalRequest(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id: 'req-7f3a',
    status: 'pending',
    requestedBy: REQUESTER,
    requestedAt: NOW.toISOString(),
    expiresAt: new Date(NOW.getTime() + 30 * 60_000).toISOString(),
    fromPercent: 5,
    toPercent: 10,
    evidence: evidence('GO'),
    channel: 'C0ONCALL',
    messageTs: '1741083300.000100',
    ...overrides,
  };
}

export function decided(status: ApprovalRequest['status'], overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  const decidedAt = new Date(NOW.getTime() + 5 * 60_000).toISOString();
  const decisions: Partial<Record<ApprovalRequest['status'], ApprovalRequest['decision']>> = {
    applied: { kind: 'applied', dryRun: false },
    refused: { kind: 'refused', reasons: ['error rate 0.35% is not below 0.1%', 'critical alert firing: MCPRustGatewayErrorRateHigh'] },
    failed: { kind: 'failed', error: 'ingresses.networking.k8s.io "mcp-gateway-canary" is forbidden', conflict: false },
    rejected: { kind: 'rejected', withdrawn: false },
    expired: { kind: 'expired' },
    cancelled: { kind: 'cancelled', cause: 'rolled-back' },
  };
  return approvalRequest({
    status,
    decidedBy: status === 'expired' ? undefined : APPROVER,
    decidedAt,
    decision: decisions[status],
    decisionEvidence: status === 'applied' ? evidence('GO') : status === 'refused' ? evidence('NO-GO') : undefined,
    ...overrides,
  });
}

export function rollbackOutcome<K extends RollbackOutcome['kind']>(kind: K, overrides: Partial<RollbackOutcome> = {}): RollbackOutcome {
  const common = { actor: 'U0ONCALL03', reason: 'users report 502s', source: 'command' as const, at: NOW.toISOString(), dryRun: false, route: ROUTE_REF };
  const webhook = 'Internal error occurred: failed calling webhook "validate.nginx.ingress.kubernetes.io"';
  let outcome: RollbackOutcome;
  switch (kind) {
    case 'rolled-back':
      outcome = {
        ...common,
        kind: 'rolled-back',
        fromPercent: 25,
        removedRules: [{ kind: 'header', name: 'X-Canary', value: 'always' }],
        steps: [{ kind: 'reset', fromPercent: 25, removedRules: [{ kind: 'header', name: 'X-Canary', value: 'always' }], nowPercent: 0 }],
      };
      break;
    case 'route-removed':
      outcome = {
        ...common,
        kind: 'route-removed',
        fromPercent: 25,
        writeError: webhook,
        steps: [
          { kind: 'write-failed', attempt: 1, error: webhook },
          { kind: 'write-failed', attempt: 2, error: webhook },
          { kind: 'route-removed', copyKept: true },
        ],
      };
      break;
    case 'already-rolled-back':
      outcome = { ...common, kind: 'already-rolled-back', why: 'at-zero', steps: [] };
      break;
    default:
      outcome = {
        ...common,
        kind: 'failed',
        errors: ['connect ECONNREFUSED 10.0.0.1:443', 'connect ECONNREFUSED 10.0.0.1:443'],
        manualCommands: [
          `kubectl patch ingress mcp-gateway-canary -n stoa-system --type=merge -p '{"metadata":{"annotations":{"nginx.ingress.kubernetes.io/canary-weight":"0","nginx.ingress.kubernetes.io/canary-by-header":null,"nginx.ingress.kubernetes.io/canary-by-cookie":null}}}'`,
          'kubectl delete ingress mcp-gateway-canary -n stoa-system',
        ],
        steps: [
          { kind: 'write-failed', attempt: 1, error: 'connect ECONNREFUSED 10.0.0.1:443' },
          { kind: 'remove-failed', attempt: 1, error: 'connect ECONNREFUSED 10.0.0.1:443' },
        ],
      };
  }
  return { ...outcome, ...overrides } as RollbackOutcome;
}

export function auditEntry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: NOW.toISOString(),
    actor: APPROVER,
    action: 'weight-change-approved',
    summary: 'approved and applied 5% → 10%',
    requestedBy: REQUESTER,
    fromPercent: 5,
    toPercent: 10,
    requestId: 'req-7f3a',
    evidence: evidence('GO'),
    ...overrides,
  };
}

export function requestedOutcome(): WeightChangeOutcome {
  return { kind: 'requested', request: approvalRequest(), assessment: assessment(checks({ 'Hold 48h at step': { pass: true, detail: 'held 2d 2h' } })), goNoGo: goNoGo('GO') };
}

// ---------- inspecting output ----------

type AnyObj = Record<string, unknown>;

/** Every piece of text in the blocks (section text and fields, context elements, headers, buttons, confirms). */
export function texts(blocks: KnownBlock[]): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const o = node as AnyObj;
    if ((o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string') out.push(o.text);
    for (const [key, value] of Object.entries(o)) if (key !== 'text' || typeof value !== 'string') walk(value);
  };
  walk(blocks);
  return out;
}

export function allText(message: { text: string; blocks: KnownBlock[] }): string {
  return [message.text, ...texts(message.blocks)].join('\n');
}

export interface ButtonInfo {
  action_id: string;
  value?: string;
  style?: string;
  text: string;
  confirm?: { title?: { text: string }; text: { text: string }; confirm?: { text: string }; deny?: { text: string }; style?: string };
}

export function buttons(blocks: KnownBlock[]): ButtonInfo[] {
  const out: ButtonInfo[] = [];
  for (const block of blocks) {
    const b = block as unknown as AnyObj;
    const elements = block.type === 'actions' ? (b.elements as AnyObj[]) : b.accessory ? [b.accessory as AnyObj] : [];
    for (const e of elements) {
      if (e.type !== 'button') continue;
      out.push({ ...(e as unknown as ButtonInfo), text: (e.text as { text: string }).text });
    }
  }
  return out;
}

export function buttonFor(blocks: KnownBlock[], actionId: string): ButtonInfo | undefined {
  return buttons(blocks).find((b) => b.action_id === actionId);
}

/**
 * Asserts every documented Block Kit limit (platform-facts section 1) on a whole message: 50 blocks and the ~12k
 * cumulative text by default; a Home tab passes `{ maxBlocks: 100 }` (and its own text bound).
 */
export function expectWithinLimits(message: { text: string; blocks: KnownBlock[] }, bounds: { maxBlocks?: number; maxTotalText?: number } = {}): void {
  expect(message.text.trim().length).toBeGreaterThan(0);
  expect(message.blocks.length).toBeGreaterThan(0);
  expect(message.blocks.length).toBeLessThanOrEqual(bounds.maxBlocks ?? 50);
  let total = 0;
  for (const block of message.blocks) {
    const b = block as unknown as AnyObj;
    switch (block.type) {
      case 'header': {
        const t = (b.text as { type: string; text: string });
        expect(t.type).toBe('plain_text');
        expect(t.text.length).toBeLessThanOrEqual(150);
        expect(t.text.length).toBeGreaterThan(0);
        total += t.text.length;
        break;
      }
      case 'section': {
        const t = b.text as { text: string } | undefined;
        const f = (b.fields as Array<{ text: string }> | undefined) ?? [];
        expect(t !== undefined || f.length > 0).toBe(true);
        if (t) {
          expect(t.text.length).toBeLessThanOrEqual(3000);
          expect(t.text.length).toBeGreaterThan(0);
          total += t.text.length;
        }
        expect(f.length).toBeLessThanOrEqual(10);
        for (const field of f) {
          expect(field.text.length).toBeLessThanOrEqual(2000);
          total += field.text.length;
        }
        break;
      }
      case 'context': {
        const elements = b.elements as Array<{ text: string }>;
        expect(elements.length).toBeGreaterThan(0);
        expect(elements.length).toBeLessThanOrEqual(10);
        for (const e of elements) {
          expect(e.text.length).toBeLessThanOrEqual(2000);
          total += e.text.length;
        }
        break;
      }
      case 'actions': {
        const elements = b.elements as unknown[];
        expect(elements.length).toBeGreaterThan(0);
        expect(elements.length).toBeLessThanOrEqual(25);
        break;
      }
      case 'divider':
        break;
      default:
        throw new Error(`unexpected block type ${block.type}`);
    }
  }
  for (const btn of buttons(message.blocks)) {
    expect(btn.text.length).toBeLessThanOrEqual(75);
    expect(btn.action_id.length).toBeLessThanOrEqual(255);
    expect((btn.value ?? '').length).toBeLessThanOrEqual(2000);
    if (btn.confirm) {
      expect(btn.confirm.title?.text.length ?? 0).toBeGreaterThan(0);
      expect(btn.confirm.title!.text.length).toBeLessThanOrEqual(100);
      expect(btn.confirm.text.text.length).toBeLessThanOrEqual(300);
      expect(btn.confirm.confirm!.text.length).toBeLessThanOrEqual(30);
      expect(btn.confirm.deny!.text.length).toBeLessThanOrEqual(30);
    }
  }
  expect(total).toBeLessThanOrEqual(bounds.maxTotalText ?? 12_000);
}

/** Raw `<…>` Slack tokens in a text: only user mentions and date tokens are expected from the views. */
export function slackTokens(text: string): string[] {
  return [...text.matchAll(/<[^>]*>/g)].map((m) => m[0]);
}

export function expectOnlySafeTokens(message: { text: string; blocks: KnownBlock[] }): void {
  for (const token of slackTokens(allText(message))) {
    expect(token).toMatch(/^<@[UW][A-Z0-9]+>$|^<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^|<>]*>$/);
  }
}

export const HUGE = 'x'.repeat(10_000);

// ---------- the daily digest ----------

export function windowedCriterion(overrides: Partial<WindowedCriterion> = {}): WindowedCriterion {
  return { label: 'Rust error rate (5m)', threshold: '< 0.1%', current: '0.02%', worst: '0.08%', breachMs: 0, gapShare: 0, pass: true, ...overrides };
}

/**
 * The digest of a canary at 5% (step 2 of 6) held 26 h of 48 h, GO, window open: hold the step. Criteria over
 * 24 h with a short p99 breach and a data gap; two warnings fired in the last 48 h; no shadow (canary phase).
 */
export function digestReport(overrides: Partial<DigestReport> = {}): DigestReport {
  const status = overrides.status ?? statusReport();
  return {
    at: NOW,
    date: '2025-03-04',
    phase: status.phase,
    status,
    criteria24h: [
      windowedCriterion(),
      windowedCriterion({ label: 'p99 Rust / Python', threshold: '< 1.5x', current: '1.21x', worst: '1.62x', breachMs: 25 * 60_000, gapShare: 0.0347 }),
      windowedCriterion({ label: 'Critical alerts', threshold: 'none', current: 'none', worst: 'none fired' }),
    ],
    alerts48h: {
      ok: true,
      alerts: [
        { name: 'MCPRustGatewayLatencyHigh', severity: 'warning', critical: false },
        { name: 'MCPRustGatewayLatencyHigh', severity: 'warning', critical: false },
        { name: 'MCPGatewayPodRestarts', severity: 'info', critical: false },
      ],
    },
    recommendation: { kind: 'hold', percent: 5, toPercent: 10, remainingMs: 22 * HOUR },
    chart: { from: NOW.getTime() - 48 * HOUR, to: NOW.getTime(), errorRate: [], errorRateMax: 0.001, p99Ratio: [], p99RatioMax: 1.5, weightChanges: [] },
    ...overrides,
  };
}

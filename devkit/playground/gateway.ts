// The simulated MCP gateways behind the playground's Prometheus and Alertmanager: knobs (Rust error rate,
// Rust and Python p99, shadow match rate) with their history on the playground's clock, and the five runbook
// alerts. Instant queries answer the knobs' current values; range queries answer a plausible history (a daily
// wave and some jitter around the value each knob had at that time), so the digest chart shows the changes.
//
// It also keeps, with their history, what the simulated cluster tells it: the traffic split it applies (read
// from the canary Ingress or the HTTPRoute, see routes.ts), whether the Python gateway mirrors to Rust
// (shadow mode) and whether Rust is healthy. Those decide how much shadow traffic there is, so the mismatch
// rate by path, the shadow error and timeout rates, and the Python pods' logs (python-logs.ts) follow them.
import type { Clock } from '../../src/core/ports.js';
import { alertV2, formatPromFloat, type PrometheusModel } from '../prometheus-api.js';
import { MCP_PATHS, REQUESTS_PER_SECOND, type RustHealth, type WorldAt } from './python-logs.js';
import { ALL_TO_PYTHON, type TrafficSplit } from './routes.js';

export interface GatewayKnobs {
  /** Rust gateway 5xx ratio, e.g. 0.0004. */
  errorRate: number;
  /** Seconds. */
  rustP99: number;
  /** Seconds. */
  pythonP99: number;
  /** Shadow match ratio, e.g. 0.9995. */
  shadowMatch: number;
}

export const DEFAULT_KNOBS: GatewayKnobs = { errorRate: 0.0004, rustP99: 0.12, pythonP99: 0.1, shadowMatch: 0.9995 };

/** The queries the bot sends (from its config), so the model knows what each one asks. */
export interface GatewayQueries {
  errorRate: string;
  rustP99: string;
  pythonP99: string;
  shadowMatch: string;
  shadowError: string;
  shadowTimeout: string;
  shadowDailyMatch: string;
  mismatchByPath: string;
}

export interface RunbookAlert {
  name: string;
  severity: 'critical' | 'warning';
  component: string;
  /** The runbook's action, shown on the knob. */
  action: string;
  summary(knobs: GatewayKnobs): string;
  description: string;
  expr: string;
}

const pct = (v: number) => `${Number((v * 100).toPrecision(3))}%`;
const secs = (v: number) => (v < 1 ? `${Math.round(v * 1000)}ms` : `${v.toFixed(2)}s`);

export const RUNBOOK_ALERTS: RunbookAlert[] = [
  {
    name: 'MCPShadowMismatchRateHigh',
    severity: 'warning',
    component: 'mcp-shadow-mode',
    action: 'Investigate logs, pause ramp-up',
    summary: (k) => `Shadow match rate is ${pct(k.shadowMatch < 0.999 ? k.shadowMatch : 0.9962)} (threshold 99.9%)`,
    description: 'Requests mirrored to the Rust gateway do not match the Python answer (target > 99.9%) for 10 minutes.',
    expr: 'mcp:shadow_match_ratio:5m < 0.999',
  },
  {
    name: 'MCPShadowErrorRateHigh',
    severity: 'warning',
    component: 'mcp-shadow-mode',
    action: 'Check Rust gateway health',
    summary: () => 'Shadow error rate is 2.4% (threshold 1%)',
    description: 'Requests mirrored to the Rust gateway fail (target < 1%) for 10 minutes.',
    expr: 'mcp:shadow_error_ratio:5m > 0.01',
  },
  {
    name: 'MCPRustGatewayErrorRateHigh',
    severity: 'critical',
    component: 'mcp-gateway-rust',
    action: 'Immediate rollback',
    summary: (k) => `Rust gateway error rate is ${pct(k.errorRate > 0.001 ? k.errorRate : 0.02)} (threshold 0.1%)`,
    description: 'The Rust gateway answers 5xx above the rollback threshold (0.1%) for 2 minutes. IMMEDIATE ROLLBACK.',
    expr: 'mcp:rust_gateway_error_rate:5m > 0.001',
  },
  {
    name: 'MCPRustGatewayLatencyHigh',
    severity: 'warning',
    component: 'mcp-gateway-rust',
    action: 'Pause ramp-up, investigate',
    summary: (k) => `Rust gateway p99 latency is ${secs(Math.max(k.rustP99, 2.2 * k.pythonP99))}, over 2x the Python gateway`,
    description: "The Rust gateway's p99 latency has been more than twice the Python gateway's for 10 minutes.",
    expr: 'mcp:rust_gateway_p99_latency:5m > 2 * mcp:python_gateway_p99_latency:5m',
  },
  {
    name: 'MCPRustGatewayDown',
    severity: 'critical',
    component: 'mcp-gateway-rust',
    action: 'Immediate rollback',
    summary: () => 'Rust gateway is down: no mcp-gateway-rust target is up',
    description: 'Prometheus has not scraped any healthy mcp-gateway-rust target for 2 minutes. IMMEDIATE ROLLBACK.',
    expr: 'max by (job) (up{job="mcp-gateway-rust"}) == 0',
  },
];

export interface FiringState {
  name: string;
  severity: string;
  startsAt: string;
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface Episode {
  name: string;
  severity: string;
  from: number;
  to?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const normalize = (q: string) => q.trim().replace(/\s+/g, ' ');

/** Deterministic jitter in [-1, 1] for a time: the same query always gets the same history. */
function wave(t: number, seed: number): number {
  const daily = Math.sin((2 * Math.PI * t) / DAY + seed);
  const short = Math.sin((2 * Math.PI * t) / (47 * 60_000) + seed * 3.1);
  // Noise that changes every 5 minutes, smoothed between buckets.
  const bucket = t / 300_000;
  const at = (n: number) => {
    const x = Math.sin(n * 12.9898 + seed * 78.233) * 43758.5453;
    return (x - Math.floor(x)) * 2 - 1;
  };
  const i = Math.floor(bucket);
  const f = bucket - i;
  const noise = at(i) * (1 - f) + at(i + 1) * f;
  return 0.45 * daily + 0.2 * short + 0.35 * noise;
}

/** A value with its history on the playground's clock (what it was at any time since the start). */
class Timeline<T> {
  private readonly entries: Array<{ at: number; value: T }>;

  constructor(initial: T) {
    this.entries = [{ at: Number.NEGATIVE_INFINITY, value: initial }];
  }

  get current(): T {
    return this.entries[this.entries.length - 1]!.value;
  }

  /** Records a new value at `at` when it differs (by `same`) from the current one; true when it did. */
  set(at: number, value: T, same: (a: T, b: T) => boolean = (a, b) => a === b): boolean {
    if (same(this.current, value)) return false;
    this.entries.push({ at, value });
    return true;
  }

  at(t: number): T {
    let found = this.entries[0]!.value;
    for (const entry of this.entries) {
      if (entry.at <= t) found = entry.value;
      else break;
    }
    return found;
  }

  /** The changes after the initial value. */
  changes(): Array<{ at: number; value: T }> {
    return this.entries.slice(1);
  }
}

const sameSplit = (a: TrafficSplit, b: TrafficSplit) => JSON.stringify(a) === JSON.stringify(b);

export class SimulatedGateway {
  private readonly history: Array<{ at: number; knobs: GatewayKnobs }>;
  private readonly split: Timeline<TrafficSplit>;
  private readonly health = new Timeline<RustHealth>('healthy');
  private readonly shadow: Timeline<boolean>;
  private readonly firing = new Map<string, FiringState>();
  private readonly episodes: Episode[] = [];
  private readonly queries: Map<string, keyof GatewayQueries>;

  constructor(
    private readonly clock: Clock,
    queries: GatewayQueries,
    initial: GatewayKnobs = DEFAULT_KNOBS,
    world: { split?: TrafficSplit; shadowOn?: boolean } = {},
  ) {
    this.history = [{ at: Number.NEGATIVE_INFINITY, knobs: { ...initial } }];
    this.queries = new Map(Object.entries(queries).map(([k, q]) => [normalize(q), k as keyof GatewayQueries]));
    this.split = new Timeline(world.split ?? ALL_TO_PYTHON('ingress-nginx'));
    this.shadow = new Timeline(world.shadowOn ?? true);
  }

  /** The split the gateway applies now (read from the route by the playground). */
  get trafficSplit(): TrafficSplit {
    return this.split.current;
  }

  /** The route changed (or was read again): the gateway applies this split from now on. True when it changed. */
  setTrafficSplit(split: TrafficSplit): boolean {
    return this.split.set(this.clock.now().getTime(), split, sameSplit);
  }

  get rustHealth(): RustHealth {
    return this.health.current;
  }

  setRustHealth(health: RustHealth): boolean {
    return this.health.set(this.clock.now().getTime(), health);
  }

  get shadowOn(): boolean {
    return this.shadow.current;
  }

  /** Shadow mode as the Python deployment's env says (the playground reads it); true when it changed. */
  setShadowMode(on: boolean): boolean {
    return this.shadow.set(this.clock.now().getTime(), on);
  }

  /** When shadow mode switched, for the Python logs. */
  shadowChanges(): Array<{ at: number; shadowOn: boolean }> {
    return this.shadow.changes().map((c) => ({ at: c.at, shadowOn: c.value }));
  }

  /** What the world was at `t`, for the Python logs. */
  worldAt(t: number): WorldAt {
    return { shadowOn: this.shadow.at(t), match: this.knobsAt(t).shadowMatch, python: this.split.at(t).python, rustHealth: this.health.at(t) };
  }

  get knobs(): GatewayKnobs {
    return { ...this.history[this.history.length - 1]!.knobs };
  }

  setKnobs(changes: Partial<GatewayKnobs>): GatewayKnobs {
    const next = { ...this.knobs };
    for (const key of Object.keys(DEFAULT_KNOBS) as Array<keyof GatewayKnobs>) {
      const v = changes[key];
      if (typeof v === 'number' && Number.isFinite(v)) next[key] = clampKnob(key, v);
    }
    this.history.push({ at: this.clock.now().getTime(), knobs: next });
    return { ...next };
  }

  knobsAt(t: number): GatewayKnobs {
    let found = this.history[0]!.knobs;
    for (const entry of this.history) {
      if (entry.at <= t) found = entry.knobs;
      else break;
    }
    return found;
  }

  /** The alerts firing now, as Alertmanager's API lists them. */
  firingAlerts(): FiringState[] {
    return [...this.firing.values()];
  }

  isFiring(name: string): boolean {
    return this.firing.has(name);
  }

  /** Marks a runbook alert firing (idempotent) and returns its state. */
  fire(name: string): FiringState {
    const existing = this.firing.get(name);
    if (existing) return existing;
    const alert = RUNBOOK_ALERTS.find((a) => a.name === name);
    if (!alert) throw new Error(`unknown alert ${name}`);
    const now = this.clock.now();
    const labels = {
      alertname: alert.name,
      component: alert.component,
      instance: `${alert.component}.stoa-system.svc:8080`,
      job: alert.component === 'mcp-gateway-rust' ? 'mcp-gateway-rust' : 'mcp-gateway-python',
      severity: alert.severity,
    };
    const state: FiringState = {
      name,
      severity: alert.severity,
      startsAt: now.toISOString(),
      fingerprint: alertV2({ labels }).fingerprint as string,
      labels,
      annotations: { summary: alert.summary(this.knobs), description: alert.description },
    };
    this.firing.set(name, state);
    this.episodes.push({ name, severity: alert.severity, from: now.getTime() });
    return state;
  }

  /** Resolves a firing alert; returns its last state, or undefined when it was not firing. */
  resolve(name: string): FiringState | undefined {
    const state = this.firing.get(name);
    if (!state) return undefined;
    this.firing.delete(name);
    const episode = [...this.episodes].reverse().find((e) => e.name === name && e.to === undefined);
    if (episode) episode.to = this.clock.now().getTime();
    return state;
  }

  /** Alertmanager's GET /api/v2/alerts entries for the firing alerts. */
  alertmanagerAlerts(): Array<Record<string, unknown>> {
    const now = this.clock.now().getTime();
    return this.firingAlerts().map((a) =>
      alertV2({
        labels: a.labels,
        annotations: a.annotations,
        startsAt: a.startsAt,
        updatedAt: new Date(now).toISOString(),
        endsAt: new Date(now + 4 * 60_000).toISOString(),
        fingerprint: a.fingerprint,
        generatorURL: generatorUrl(a.name),
      }),
    );
  }

  /** An Alertmanager v4 webhook notification for one alert group (grouped by alertname), as Alertmanager posts it. */
  webhookPayload(state: FiringState, status: 'firing' | 'resolved', externalURL: string): Record<string, unknown> {
    const endsAt = status === 'resolved' ? this.clock.now().toISOString() : '0001-01-01T00:00:00Z';
    return {
      receiver: 'mcp-canary',
      status,
      alerts: [
        {
          status,
          labels: state.labels,
          annotations: state.annotations,
          startsAt: state.startsAt,
          endsAt,
          generatorURL: generatorUrl(state.name),
          fingerprint: state.fingerprint,
        },
      ],
      groupLabels: { alertname: state.name },
      commonLabels: state.labels,
      commonAnnotations: state.annotations,
      externalURL,
      version: '4',
      groupKey: `{}:{alertname="${state.name}"}`,
      truncatedAlerts: 0,
    };
  }

  /** Answers for the playground's Prometheus API. */
  prometheusModel(): PrometheusModel {
    return {
      instant: (query, atSec) => this.instant(query, atSec * 1000),
      range: (query, startSec, endSec, stepSec) => {
        const kind = this.queries.get(normalize(query));
        if (!kind || !Number.isFinite(startSec) || !Number.isFinite(endSec) || !(stepSec > 0)) return undefined;
        const points: Array<[number, string]> = [];
        // Prometheus caps a range at 11,000 points.
        const step = Math.max(stepSec, (endSec - startSec) / 11_000);
        for (let t = startSec; t <= endSec + 1e-9; t += step) {
          const v = this.historical(kind, t * 1000);
          if (v !== undefined) points.push([Math.round(t * 1000) / 1000, formatPromFloat(v)]);
        }
        return points.length ? points : 'empty';
      },
    };
  }

  private instant(query: string, at: number): number | Array<{ labels: Record<string, string>; value: number }> | undefined {
    const fired = /ALERTS\{alertstate="firing"\}\[(\d+)([smhd])\]/.exec(query);
    if (fired) {
      const windowMs = Number(fired[1]) * { s: 1000, m: 60_000, h: HOUR, d: DAY }[fired[2] as 's' | 'm' | 'h' | 'd'];
      const seen = new Map<string, { labels: Record<string, string>; value: number }>();
      for (const e of this.episodes) {
        if (e.from <= at && (e.to === undefined || e.to >= at - windowMs)) {
          seen.set(`${e.name}/${e.severity}`, { labels: { alertname: e.name, severity: e.severity }, value: 1 });
        }
      }
      return [...seen.values()];
    }
    const kind = this.queries.get(normalize(query));
    if (!kind) return undefined;
    const k = this.knobsAt(at);
    switch (kind) {
      case 'errorRate':
        return k.errorRate;
      case 'rustP99':
        return k.rustP99;
      case 'pythonP99':
        return k.pythonP99;
      case 'shadowMatch':
        return k.shadowMatch;
      case 'shadowError':
        // Rust answering 503 fails the mirrored requests the remaining endpoint gets.
        return this.health.at(at) === '503' ? 0.31 : this.firing.has('MCPShadowErrorRateHigh') ? 0.024 : 0.0021;
      case 'shadowTimeout':
        return this.health.at(at) === 'hang' ? 0.28 : 0.0042;
      case 'shadowDailyMatch':
        return this.dailyMatch(at);
      case 'mismatchByPath': {
        // Mismatches happen on what Python mirrors: its share of the traffic, while shadow mode is on.
        const w = this.worldAt(at);
        const mismatchPerSecond = w.shadowOn && w.rustHealth === 'healthy' ? REQUESTS_PER_SECOND * w.python * (1 - k.shadowMatch) : 0;
        return MCP_PATHS.map((p) => ({ labels: { path: p.path }, value: mismatchPerSecond * p.mismatch }));
      }
    }
  }

  /** A plausible value at a past time: the knob then, with a daily wave and jitter that never cross a threshold by themselves. */
  private historical(kind: keyof GatewayQueries, t: number): number | undefined {
    const k = this.knobsAt(t);
    switch (kind) {
      case 'errorRate':
        return Math.max(0, k.errorRate * (1 + 0.35 * wave(t, 1)));
      case 'rustP99':
        return k.rustP99 * (1 + 0.12 * wave(t, 2));
      case 'pythonP99':
        return k.pythonP99 * (1 + 0.08 * wave(t, 3));
      case 'shadowMatch':
        return 1 - (1 - k.shadowMatch) * (1 + 0.25 * wave(t, 4));
      case 'shadowDailyMatch':
        return this.dailyMatch(t);
      case 'shadowError':
        return 0.0021 * (1 + 0.3 * wave(t, 5));
      case 'shadowTimeout':
        return 0.0042 * (1 + 0.3 * wave(t, 6));
      default:
        return undefined;
    }
  }

  /** The match ratio of the day ending at `t`, sampled hourly. */
  private dailyMatch(t: number): number {
    let sum = 0;
    for (let i = 0; i < 24; i++) sum += this.historical('shadowMatch', t - i * HOUR)!;
    return sum / 24;
  }
}

function clampKnob(key: keyof GatewayKnobs, v: number): number {
  if (key === 'errorRate' || key === 'shadowMatch') return Math.min(1, Math.max(0, v));
  return Math.min(60, Math.max(0.001, v));
}

function generatorUrl(name: string): string {
  const alert = RUNBOOK_ALERTS.find((a) => a.name === name);
  return `http://prometheus.playground.local:9090/graph?g0.expr=${encodeURIComponent(alert?.expr ?? name)}&g0.tab=1`;
}

// Local Prometheus (/api/v1/query, /api/v1/query_range) and Alertmanager (/api/v2) API servers: the
// playground's metric and alert sources (answers computed by a model) and the tests' fakes (answers set
// by the test). Answers copy the envelopes captured from the real servers in test/support/fixtures:
// sample values are strings ("0.0004", "NaN"), no series is `result: []`, errors carry
// errorType/error with the HTTP status. Both can go down (connection refused) and come back
// on the same port.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer, mediaType, readBody, sendJson, sleep } from './http-util.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

export interface PromError {
  httpStatus: number;
  errorType?: string;
  error?: string;
}
export type PromValue = number | 'NaN' | 'empty' | PromError;

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  at: number;
}

export interface FakePrometheus {
  url: string;
  /** Answer for an instant query (matched on the query text, whitespace-collapsed). */
  set(query: string, value: PromValue): void;
  /** Answer for instant queries nobody set ['empty']. */
  setDefault(value: PromValue): void;
  /** Several labelled series for an instant query (e.g. `sum by (path) (...)`). */
  setVector(query: string, samples: Array<{ labels: Record<string, string>; value: number }>): void;
  /** Matrix answer for a range query (one series); unknown range queries answer an empty matrix. */
  setRange(query: string, series: Array<[number, string]> | 'empty'): void;
  /** Down: connections are refused and open ones dropped. Up again on the same port. */
  setDown(down: boolean): Promise<void>;
  setDelay(ms: number): void;
  requests: RecordedRequest[];
  reset(): void;
  close(): Promise<void>;
}

/** Computes answers instead of (or before) the values given with set/setRange/setVector. */
export interface PrometheusModel {
  /** An instant query evaluated at `atSec`: one value, labelled samples, or undefined to fall back to set(). */
  instant?(query: string, atSec: number): PromValue | Array<{ labels: Record<string, string>; value: number }> | undefined;
  /** A range query: the points of one series, or undefined to fall back to setRange(). */
  range?(query: string, startSec: number, endSec: number, stepSec: number): Array<[number, string]> | 'empty' | undefined;
}

export interface FakePrometheusOptions {
  model?: PrometheusModel;
  /** "Now" for instant queries without `time` (epoch ms) [Date.now]. */
  now?: () => number;
}

const normalizeQuery = (q: string) => q.trim().replace(/\s+/g, ' ');

/**
 * Prometheus renders floats with Go's strconv.FormatFloat(v, 'f', -1, 64): shortest
 * round-trip digits, never exponent notation; NaN and infinities as "NaN", "+Inf", "-Inf".
 */
export function formatPromFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, int, frac = '', expStr] = m;
  const digits = int! + frac;
  const exp = Number(expStr);
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const point = 1 + exp;
  return point >= digits.length ? `${sign}${digits}${'0'.repeat(point - digits.length)}` : `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const DEFAULT_ERROR_TYPES: Record<number, string> = { 400: 'bad_data', 422: 'execution', 503: 'timeout' };

async function requestParams(req: IncomingMessage, url: URL): Promise<Record<string, string>> {
  const params: Record<string, string> = Object.fromEntries(url.searchParams);
  const raw = await readBody(req);
  // POST /api/v1/query takes the same parameters as a form body.
  if (req.method === 'POST' && mediaType(req.headers['content-type']) === 'application/x-www-form-urlencoded') {
    Object.assign(params, Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
  }
  return params;
}

export async function startFakePrometheus(options: FakePrometheusOptions = {}): Promise<FakePrometheus> {
  const now = options.now ?? Date.now;
  const model = options.model;
  const instant = new Map<string, PromValue>();
  const ranges = new Map<string, Array<[number, string]> | 'empty'>();
  const vectors = new Map<string, Array<{ labels: Record<string, string>; value: number }>>();
  let defaultValue: PromValue = 'empty';
  let delayMs = 0;
  const requests: RecordedRequest[] = [];

  const errorBody = (e: PromError) => ({
    status: 'error',
    errorType: e.errorType ?? DEFAULT_ERROR_TYPES[e.httpStatus] ?? 'internal',
    error: e.error ?? `fake prometheus error (HTTP ${e.httpStatus})`,
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const params = await requestParams(req, url);
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: params, at: Date.now() });
    if (delayMs > 0) await sleep(delayMs);
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const query = params.query;
    if (url.pathname !== '/api/v1/query' && url.pathname !== '/api/v1/query_range') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    if (!query || !query.trim()) {
      return sendJson(res, 400, {
        status: 'error',
        errorType: 'bad_data',
        error: 'invalid parameter "query": 1:1: parse error: no expression found in input',
      });
    }
    const key = normalizeQuery(query);

    if (url.pathname === '/api/v1/query_range') {
      const modelled = model?.range?.(query, Number(params.start), Number(params.end), Number(params.step));
      const series = modelled ?? ranges.get(key) ?? 'empty';
      return sendJson(res, 200, {
        status: 'success',
        data: { resultType: 'matrix', result: series === 'empty' ? [] : [{ metric: metricFor(key), values: series }] },
      });
    }

    const at = params.time !== undefined && !Number.isNaN(Number(params.time)) ? Number(params.time) : now() / 1000;
    const modelled = model?.instant?.(query, at);
    const vector = Array.isArray(modelled) ? modelled : modelled === undefined ? vectors.get(key) : undefined;
    if (vector) {
      return sendJson(res, 200, { status: 'success', data: { resultType: 'vector', result: vector.map((s) => ({ metric: s.labels, value: [at, formatPromFloat(s.value)] })) } });
    }
    const value = modelled !== undefined && !Array.isArray(modelled) ? modelled : instant.has(key) ? instant.get(key)! : defaultValue;
    if (typeof value === 'object') return sendJson(res, value.httpStatus, errorBody(value));
    // Evaluated at `time` when given (unix seconds), else now; Prometheus answers float seconds.
    const result = value === 'empty' ? [] : [{ metric: metricFor(key), value: [at, value === 'NaN' ? 'NaN' : formatPromFloat(value)] }];
    return sendJson(res, 200, { status: 'success', data: { resultType: 'vector', result } });
  }

  const server = new LocalServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await server.start();

  return {
    url: server.url,
    set: (query, value) => void instant.set(normalizeQuery(query), value),
    setDefault: (value) => void (defaultValue = value),
    setRange: (query, series) => void ranges.set(normalizeQuery(query), series),
    setVector: (query, samples) => void vectors.set(normalizeQuery(query), samples),
    setDown: (down) => (down ? server.stop() : server.start()),
    setDelay: (ms) => void (delayMs = ms),
    requests,
    reset() {
      instant.clear();
      ranges.clear();
      vectors.clear();
      defaultValue = 'empty';
      delayMs = 0;
      requests.length = 0;
    },
    close: () => server.stop(),
  };
}

/** A bare metric (or recording-rule) name keeps __name__ in the result, like the real server. */
function metricFor(query: string): Record<string, string> {
  return /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(query) ? { __name__: query } : {};
}

// ---------------------------------------------------------------------------------------------
// Alertmanager API v2.

export interface FakeAlertmanager {
  url: string;
  /**
   * The alerts Alertmanager knows. Each is completed to the full v2 shape (fields missing
   * from the given object get fixture-like defaults); alerts matched by an active silence
   * report state "suppressed" with silencedBy.
   */
  setAlerts(alerts: any[]): void;
  setDown(down: boolean): Promise<void>;
  setDelay(ms: number): void;
  /** Silences created through POST /api/v2/silences (v2 GettableSilence shape). */
  silences: any[];
  requests: RecordedRequest[];
  reset(): void;
  close(): Promise<void>;
}

/** Completes a partial alert to the exact shape (and key order) of GET /api/v2/alerts. */
export function alertV2(partial: Record<string, any> = {}): Record<string, any> {
  const labels: Record<string, string> = partial.labels ?? { alertname: 'MCPRustGatewayErrorRateHigh', severity: 'critical' };
  const startsAt = partial.startsAt ?? new Date(Date.now() - 60_000).toISOString();
  return {
    annotations: partial.annotations ?? {},
    endsAt: partial.endsAt ?? new Date(Date.now() + 4 * 60_000).toISOString(),
    fingerprint: partial.fingerprint ?? fingerprintOf(labels),
    receivers: partial.receivers ?? [{ name: 'mcp-canary' }],
    startsAt,
    status: { inhibitedBy: [], silencedBy: [], state: 'active', ...(partial.status ?? {}) },
    updatedAt: partial.updatedAt ?? startsAt,
    generatorURL: partial.generatorURL ?? `http://prometheus.example:9090/graph?g0.expr=${encodeURIComponent(labels.alertname ?? 'up')}&g0.tab=1`,
    labels,
  };
}

/** 16 hex digits derived from the sorted label set (stable, like Alertmanager's fingerprints). */
function fingerprintOf(labels: Record<string, string>): string {
  let h = 0xcbf29ce484222325n;
  for (const [k, v] of Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const ch of `${k}\u00ff${v}\u00ff`) h = ((h ^ BigInt(ch.codePointAt(0)!)) * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** Parses `name="value"`, `name=~"re"`, `name!="v"`, `name!~"re"` (quotes optional, optional braces). */
function parseMatchers(filter: string): Matcher[] {
  const body = filter.trim().replace(/^\{/, '').replace(/\}$/, '');
  const out: Matcher[] = [];
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^,"]*?))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < body.length && (m = re.exec(body)) !== null) {
    const value = m[3] !== undefined ? JSON.parse(`"${m[3]}"`) : (m[4] ?? '');
    out.push({ name: m[1]!, op: m[2] as Matcher['op'], value });
  }
  if (out.length === 0 || re.lastIndex < body.length) throw new Error(`bad matcher format: ${filter}`);
  return out;
}

function matches(m: Matcher, labels: Record<string, string>): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return new RegExp(`^(?:${m.value})$`).test(v);
    case '!~':
      return !new RegExp(`^(?:${m.value})$`).test(v);
  }
}

const boolParam = (v: string | null, dflt = true) => (v === null ? dflt : v === 'true');

export interface FakeAlertmanagerOptions {
  /** "Now" for silences (epoch ms) [Date.now]: the playground's clock can be advanced. */
  now?: () => number;
}

export async function startFakeAlertmanager(options: FakeAlertmanagerOptions = {}): Promise<FakeAlertmanager> {
  const clock = options.now ?? Date.now;
  let alerts: any[] = [];
  const silences: any[] = [];
  const requests: RecordedRequest[] = [];
  let delayMs = 0;
  const started = new Date().toISOString();

  const silenceState = (s: any, now = clock()): 'active' | 'pending' | 'expired' =>
    Date.parse(s.endsAt) <= now ? 'expired' : Date.parse(s.startsAt) > now ? 'pending' : 'active';

  const silenceMatchers = (s: any): Matcher[] =>
    (s.matchers as any[]).map((m) => ({ name: m.name, value: m.value, op: m.isRegex ? (m.isEqual === false ? '!~' : '=~') : m.isEqual === false ? '!=' : '=' }));

  /** Alerts with silences applied to their status, as GET /api/v2/alerts reports them. */
  function currentAlerts(): any[] {
    return alerts.map((a) => {
      const silencedBy = silences
        .filter((s) => silenceState(s) === 'active' && silenceMatchers(s).every((m) => matches(m, a.labels)))
        .map((s) => s.id as string);
      if (silencedBy.length === 0) return a;
      return { ...a, status: { ...a.status, silencedBy, state: 'suppressed' } };
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await readBody(req);
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), at: Date.now() });
    if (delayMs > 0) await sleep(delayMs);
    const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;

    if (route === 'GET /api/v2/alerts') {
      const active = boolParam(url.searchParams.get('active'));
      const silenced = boolParam(url.searchParams.get('silenced'));
      const inhibited = boolParam(url.searchParams.get('inhibited'));
      const unprocessed = boolParam(url.searchParams.get('unprocessed'));
      let matchers: Matcher[];
      try {
        matchers = url.searchParams.getAll('filter').flatMap(parseMatchers);
      } catch (err) {
        return sendJson(res, 400, (err as Error).message);
      }
      const receiver = url.searchParams.get('receiver');
      const receiverRe = receiver ? new RegExp(`^(?:${receiver})$`) : undefined;
      // Same checks, in the same order, as Alertmanager's getAlertsHandler.
      const out = currentAlerts().filter((a) => {
        if (!active && a.status.state === 'active') return false;
        if (!unprocessed && a.status.state === 'unprocessed') return false;
        if (!silenced && a.status.silencedBy.length > 0) return false;
        if (!inhibited && a.status.inhibitedBy.length > 0) return false;
        if (receiverRe && !a.receivers.some((r: any) => receiverRe.test(r.name))) return false;
        return matchers.every((m) => matches(m, a.labels));
      });
      return sendJson(res, 200, out);
    }

    if (route === 'POST /api/v2/silences') {
      let body: any;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (err) {
        return sendJson(res, 400, `parsing silence body: ${(err as Error).message}`);
      }
      const problem = validateSilence(body, clock());
      if (problem) return sendJson(res, 400, problem);
      const now = new Date(clock()).toISOString();
      const existing = body.id ? silences.find((s) => s.id === body.id) : undefined;
      if (body.id && !existing) return sendJson(res, 404, `silence not found`);
      const silence = {
        id: existing?.id ?? randomUUID(),
        status: { state: 'active' },
        updatedAt: now,
        comment: body.comment,
        createdBy: body.createdBy,
        endsAt: body.endsAt,
        matchers: (body.matchers as any[]).map((m) => ({ isEqual: m.isEqual ?? true, isRegex: Boolean(m.isRegex), name: m.name, value: m.value })),
        startsAt: body.startsAt,
      };
      silence.status.state = silenceState(silence);
      if (existing) silences.splice(silences.indexOf(existing), 1, silence);
      else silences.push(silence);
      return sendJson(res, 200, { silenceID: silence.id });
    }

    if (route === 'GET /api/v2/silences') {
      return sendJson(res, 200, silences.map((s) => ({ ...s, status: { state: silenceState(s) } })));
    }

    const one = /^(GET|DELETE) \/api\/v2\/silence\/([^/]+)$/.exec(route);
    if (one) {
      const s = silences.find((x) => x.id === one[2]);
      if (!s) return sendJson(res, 404, 'silence not found');
      if (one[1] === 'GET') return sendJson(res, 200, { ...s, status: { state: silenceState(s) } });
      s.endsAt = new Date(clock()).toISOString(); // expiring a silence ends it now
      s.updatedAt = s.endsAt;
      res.writeHead(200).end();
      return;
    }

    if (route === 'GET /api/v2/status') {
      return sendJson(res, 200, {
        cluster: { name: '01FAKEALERTMANAGER0000000000', peers: [], status: 'ready' },
        config: { original: 'route:\n  receiver: mcp-canary\nreceivers:\n- name: mcp-canary\n' },
        uptime: started,
        versionInfo: { branch: 'debian/sid', buildDate: '20230101-00:00:00', buildUser: 'team+pkg-go@tracker.debian.org', goVersion: 'go1.19.8', revision: '0.25.0', version: '0.25.0' },
      });
    }

    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
  }

  const server = new LocalServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await server.start();

  return {
    url: server.url,
    setAlerts: (list) => void (alerts = list.map(alertV2)),
    setDown: (down) => (down ? server.stop() : server.start()),
    setDelay: (ms) => void (delayMs = ms),
    silences,
    requests,
    reset() {
      alerts = [];
      silences.length = 0;
      requests.length = 0;
      delayMs = 0;
    },
    close: () => server.stop(),
  };
}

/** Alertmanager's silence validation, the parts a client can get wrong. */
function validateSilence(s: any, now: number): string | undefined {
  if (typeof s !== 'object' || s === null) return 'silence invalid: not an object';
  if (!Array.isArray(s.matchers) || s.matchers.length === 0) return 'silence invalid: at least one matcher required';
  for (const m of s.matchers) {
    if (typeof m?.name !== 'string' || typeof m?.value !== 'string') return 'silence invalid: invalid label matcher';
  }
  const starts = Date.parse(s.startsAt);
  const ends = Date.parse(s.endsAt);
  if (Number.isNaN(starts) || Number.isNaN(ends)) return 'silence invalid: startsAt and endsAt are required';
  if (ends < starts) return 'silence invalid: end time must not be before start time';
  if (ends < now) return 'silence invalid: end time can\'t be in the past';
  if (!s.createdBy) return 'silence invalid: creator information missing';
  if (!s.comment) return 'silence invalid: comment missing';
  return undefined;
}

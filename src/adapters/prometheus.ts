// Prometheus HTTP API, instant queries. Values arrive as strings ("NaN", "+Inf" included);
// anything that is not one finite number becomes a failure with its reason (the core fails closed).
import axios, { type AxiosInstance } from 'axios';
import type { LabelledSamples, RangeSeries, Sample } from '../core/entities.js';
import type { MetricsSource } from '../core/ports.js';
import { describeHttpFailure } from './http-errors.js';

interface PromResponse {
  status: 'success' | 'error';
  data?: { resultType: string; result: unknown };
  errorType?: string;
  error?: string;
}

export class PrometheusMetrics implements MetricsSource {
  private readonly http: AxiosInstance | undefined;

  constructor(baseUrl: string | undefined, timeoutMs: number) {
    this.http = baseUrl ? axios.create({ baseURL: baseUrl.replace(/\/$/, ''), timeout: timeoutMs, validateStatus: () => true }) : undefined;
  }

  async instant(query: string): Promise<Sample> {
    if (!this.http) return { ok: false, reason: 'PROMETHEUS_URL is not set' };
    try {
      const response = await this.http.get<PromResponse>('/api/v1/query', { params: { query } });
      return sampleOf(response.status, response.data, query);
    } catch (error) {
      return { ok: false, reason: `Prometheus ${describeHttpFailure(error)}` };
    }
  }

  async range(query: string, window: { start: Date; end: Date; stepMs: number }): Promise<RangeSeries> {
    if (!this.http) return { ok: false, reason: 'PROMETHEUS_URL is not set' };
    const step = Math.max(1, Math.round(window.stepMs / 1000));
    // Whole seconds: Prometheus answers at start + k*step, and the grid below matches on seconds.
    const start = Math.floor(window.start.getTime() / 1000);
    const end = Math.floor(window.end.getTime() / 1000);
    try {
      const response = await this.http.get<PromResponse>('/api/v1/query_range', { params: { query, start, end, step } });
      return rangeOf(response.status, response.data, query, start * 1000, end * 1000, step * 1000);
    } catch (error) {
      return { ok: false, reason: `Prometheus ${describeHttpFailure(error)}` };
    }
  }

  async instantVector(query: string): Promise<LabelledSamples> {
    if (!this.http) return { ok: false, reason: 'PROMETHEUS_URL is not set' };
    try {
      const response = await this.http.get<PromResponse>('/api/v1/query', { params: { query } });
      const body = response.data;
      if (body?.status !== 'success') return { ok: false, reason: `Prometheus rejected ${query}: ${body?.error ?? `HTTP ${response.status}`}` };
      if (body.data?.resultType !== 'vector' || !Array.isArray(body.data.result)) return { ok: false, reason: `${query} did not return a vector` };
      const samples = (body.data.result as Array<{ metric?: Record<string, string>; value?: [number, string] }>).map((r) => ({
        labels: r.metric ?? {},
        value: Number.parseFloat(r.value?.[1] ?? 'NaN'),
      }));
      return { ok: true, samples };
    } catch (error) {
      return { ok: false, reason: `Prometheus ${describeHttpFailure(error)}` };
    }
  }
}

/** Pure: a query_range answer to one series on a regular grid, with null where there is no usable sample. */
export function rangeOf(httpStatus: number, body: PromResponse | undefined, query: string, startMs: number, endMs: number, stepMs: number): RangeSeries {
  if (!body || body.status !== 'success') {
    return { ok: false, reason: `Prometheus rejected ${query}: ${body?.errorType ?? 'error'}: ${body?.error ?? `HTTP ${httpStatus}`}` };
  }
  if (body.data?.resultType !== 'matrix' || !Array.isArray(body.data.result)) return { ok: false, reason: `${query} did not return a matrix` };
  const result = body.data.result as Array<{ values?: Array<[number, string]> }>;
  if (result.length > 1) return { ok: false, reason: `${query} returned ${result.length} series, expected one` };
  const byTime = new Map<number, number>();
  for (const [t, v] of result[0]?.values ?? []) {
    const value = Number.parseFloat(v);
    if (Number.isFinite(value)) byTime.set(Math.round(t * 1000), value);
  }
  const points: Array<[number, number | null]> = [];
  for (let t = startMs; t <= endMs; t += stepMs) {
    const at = Math.round(t / 1000) * 1000;
    points.push([at, byTime.get(at) ?? null]);
  }
  return { ok: true, points };
}

/** Pure: one Prometheus answer to one sample (exported for tests against the captured fixtures). */
export function sampleOf(httpStatus: number, body: PromResponse | undefined, query: string): Sample {
  if (!body || typeof body !== 'object' || !('status' in body)) {
    return { ok: false, reason: `Prometheus answered HTTP ${httpStatus} without a query result` };
  }
  if (body.status !== 'success') {
    return { ok: false, reason: `Prometheus rejected ${query}: ${body.errorType ?? 'error'}: ${body.error ?? `HTTP ${httpStatus}`}` };
  }
  const { resultType, result } = body.data ?? {};
  let raw: unknown;
  if (resultType === 'vector' && Array.isArray(result)) {
    if (result.length === 0) return { ok: false, reason: `no data for ${query}` };
    if (result.length > 1) return { ok: false, reason: `${query} returned ${result.length} series, expected one` };
    raw = (result[0] as { value?: [number, string] }).value?.[1];
  } else if (resultType === 'scalar' && Array.isArray(result)) {
    raw = result[1];
  } else {
    return { ok: false, reason: `${query} returned a ${resultType ?? 'malformed'} result, expected a vector` };
  }
  const value = typeof raw === 'string' ? Number.parseFloat(raw) : Number.NaN;
  if (Number.isNaN(value)) return { ok: false, reason: `${query} is NaN (no traffic in the window?)` };
  if (!Number.isFinite(value)) return { ok: false, reason: `${query} is ${raw}` };
  return { ok: true, value };
}

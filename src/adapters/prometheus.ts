// Prometheus HTTP API, instant queries. Values arrive as strings ("NaN", "+Inf" included);
// anything that is not one finite number becomes a failure with its reason (the core fails closed).
import axios, { type AxiosInstance } from 'axios';
import type { MetricsSource, Sample } from '../core/ports.js';
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

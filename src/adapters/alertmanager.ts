// Alertmanager API v2: which alerts are firing now (active, not silenced, not inhibited).
import axios, { type AxiosInstance } from 'axios';
import type { AlertQuery, AlertSource, FiringAlert, SilenceRequest } from '../core/ports.js';
import { describeHttpFailure } from './http-errors.js';

interface AlertV2 {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  fingerprint?: string;
  generatorURL?: string;
  status?: { state?: string };
}

export class AlertmanagerAlerts implements AlertSource {
  readonly http: AxiosInstance | undefined;

  constructor(readonly baseUrl: string | undefined, timeoutMs: number) {
    this.http = baseUrl ? axios.create({ baseURL: baseUrl.replace(/\/$/, ''), timeout: timeoutMs }) : undefined;
  }

  async firing(matchers: string[]): Promise<AlertQuery> {
    if (!this.http) return { ok: false, reason: 'ALERTMANAGER_URL is not set' };
    try {
      const params = new URLSearchParams({ active: 'true', silenced: 'false', inhibited: 'false' });
      for (const matcher of matchers) params.append('filter', matcher);
      const response = await this.http.get<unknown>('/api/v2/alerts', { params });
      if (!Array.isArray(response.data)) return { ok: false, reason: 'Alertmanager answered without an alert list' };
      return { ok: true, alerts: response.data.map(firingAlertOf).filter((a) => a.state !== 'suppressed').map(({ state: _, ...a }) => a) };
    } catch (error) {
      return { ok: false, reason: `Alertmanager ${describeHttpFailure(error)}` };
    }
  }

  async silence(request: SilenceRequest): Promise<string> {
    if (!this.http) throw new Error('ALERTMANAGER_URL is not set');
    try {
      const response = await this.http.post<{ silenceID?: string }>('/api/v2/silences', {
        matchers: Object.entries(request.matchers).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
        startsAt: request.startsAt.toISOString(),
        endsAt: request.endsAt.toISOString(),
        createdBy: request.createdBy,
        comment: request.comment,
      });
      if (!response.data?.silenceID) throw new Error('no silenceID in the answer');
      return response.data.silenceID;
    } catch (error) {
      const body = (error as { response?: { data?: unknown } }).response?.data;
      throw new Error(`Alertmanager ${describeHttpFailure(error)}${body ? `: ${JSON.stringify(body).slice(0, 200)}` : ''}`);
    }
  }
}

export function firingAlertOf(alert: AlertV2): FiringAlert & { state: string } {
  const labels = alert.labels ?? {};
  return {
    name: labels.alertname ?? 'unnamed alert',
    severity: labels.severity ?? 'none',
    summary: alert.annotations?.summary ?? alert.annotations?.description,
    startsAt: alert.startsAt ?? '',
    fingerprint: alert.fingerprint ?? '',
    labels,
    generatorURL: alert.generatorURL,
    state: alert.status?.state ?? 'active',
  };
}

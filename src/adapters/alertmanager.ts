// Alertmanager API v2: which alerts are firing now. Silenced and inhibited alerts are firing too: a silence
// mutes notifications, never the go/no-go, so they are returned marked with who silenced them until when.
import axios, { type AxiosInstance } from 'axios';
import type { AlertQuery, AlertSilence, FiringAlert, SilenceRequest } from '../core/entities.js';
import type { AlertSource } from '../core/ports.js';
import { describeHttpFailure } from './http-errors.js';

interface AlertV2 {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  fingerprint?: string;
  generatorURL?: string;
  status?: { state?: string; silencedBy?: string[]; inhibitedBy?: string[] };
}

interface SilenceV2 {
  id?: string;
  createdBy?: string;
  endsAt?: string;
}

export class AlertmanagerAlerts implements AlertSource {
  readonly http: AxiosInstance | undefined;

  /** `origin.channel`: the Slack channel the bot's buttons live in, named in each silence's comment. */
  constructor(
    readonly baseUrl: string | undefined,
    timeoutMs: number,
    private readonly origin: { channel?: string } = {},
  ) {
    this.http = baseUrl ? axios.create({ baseURL: baseUrl.replace(/\/$/, ''), timeout: timeoutMs }) : undefined;
  }

  async firing(matchers: string[]): Promise<AlertQuery> {
    if (!this.http) return { ok: false, reason: 'ALERTMANAGER_URL is not set' };
    try {
      const params = new URLSearchParams({ active: 'true', silenced: 'true', inhibited: 'true' });
      for (const matcher of matchers) params.append('filter', matcher);
      const response = await this.http.get<unknown>('/api/v2/alerts', { params });
      if (!Array.isArray(response.data)) return { ok: false, reason: 'Alertmanager answered without an alert list' };
      const raw = response.data as AlertV2[];
      const silences = await this.silencesById(raw.flatMap((a) => a.status?.silencedBy ?? []));
      return { ok: true, alerts: raw.map((a) => firingAlertOf(a, silences)) };
    } catch (error) {
      return { ok: false, reason: `Alertmanager ${describeHttpFailure(error)}` };
    }
  }

  /** Who silenced, until when: one GET per distinct silence, only when something is silenced. */
  private async silencesById(ids: string[]): Promise<Map<string, AlertSilence>> {
    const unique = [...new Set(ids)];
    const found = await Promise.all(
      unique.map((id) =>
        this.http!.get<SilenceV2>(`/api/v2/silence/${encodeURIComponent(id)}`).then(
          (r): AlertSilence => ({ id, createdBy: r.data?.createdBy, endsAt: r.data?.endsAt }),
          // The alert stays firing either way; only the details are missing.
          (): AlertSilence => ({ id }),
        ),
      ),
    );
    return new Map(found.map((s) => [s.id, s]));
  }

  async silence(request: SilenceRequest): Promise<string> {
    if (!this.http) throw new Error('ALERTMANAGER_URL is not set');
    try {
      const response = await this.http.post<{ silenceID?: string }>('/api/v2/silences', {
        matchers: Object.entries(request.matchers).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
        startsAt: request.startsAt.toISOString(),
        endsAt: request.endsAt.toISOString(),
        createdBy: `mcp-canary (Slack user ${request.requestedBy})`,
        comment: `Silenced from Slack${this.origin.channel ? ` channel ${this.origin.channel}` : ''} by user ${request.requestedBy}: ${request.alertNames.join(', ') || 'alert group'}`,
      });
      if (!response.data?.silenceID) throw new Error('no silenceID in the answer');
      return response.data.silenceID;
    } catch (error) {
      const body = (error as { response?: { data?: unknown } }).response?.data;
      throw new Error(`Alertmanager ${describeHttpFailure(error)}${body ? `: ${JSON.stringify(body).slice(0, 200)}` : ''}`);
    }
  }
}

export function firingAlertOf(alert: AlertV2, silences: Map<string, AlertSilence> = new Map()): FiringAlert {
  const labels = alert.labels ?? {};
  const silencedBy = alert.status?.silencedBy ?? [];
  const inhibited = (alert.status?.inhibitedBy ?? []).length > 0;
  return {
    name: labels.alertname ?? 'unnamed alert',
    severity: labels.severity ?? 'none',
    summary: alert.annotations?.summary ?? alert.annotations?.description,
    startsAt: alert.startsAt ?? '',
    fingerprint: alert.fingerprint ?? '',
    labels,
    generatorURL: alert.generatorURL,
    suppressed: silencedBy.length || inhibited ? { silences: silencedBy.map((id) => silences.get(id) ?? { id }), inhibited } : undefined,
  };
}

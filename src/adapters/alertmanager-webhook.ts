// Alertmanager's webhook payload (version 4), validated into the core's AlertNotification.
// Anything that does not look like Alertmanager's payload is refused with the first problem found.
import * as z from 'zod';
import type { AlertNotification } from '../core/entities.js';

const labels = z.record(z.string(), z.string()).default({});

const alert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels,
  startsAt: z.string(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).max(200),
});

const payload = z.object({
  version: z.literal('4'),
  groupKey: z.string().min(1).max(10_000),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().default(''),
  groupLabels: labels,
  commonLabels: labels,
  commonAnnotations: labels,
  externalURL: z.string().optional(),
  truncatedAlerts: z.number().int().min(0).default(0),
  alerts: z.array(alert).max(1000),
});

export type WebhookParse = { ok: true; notification: AlertNotification } | { ok: false; problem: string };

export function parseAlertmanagerWebhook(body: unknown): WebhookParse {
  const parsed = payload.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, problem: `${issue.path.join('.') || 'payload'}: ${issue.message}` };
  }
  const p = parsed.data;
  return {
    ok: true,
    notification: {
      groupKey: p.groupKey,
      status: p.status,
      receiver: p.receiver,
      groupLabels: p.groupLabels,
      commonLabels: p.commonLabels,
      externalURL: p.externalURL,
      truncatedAlerts: p.truncatedAlerts,
      alerts: p.alerts.map((a) => ({
        fingerprint: a.fingerprint,
        name: a.labels.alertname ?? 'unnamed alert',
        severity: a.labels.severity ?? 'none',
        status: a.status,
        summary: a.annotations.summary,
        description: a.annotations.description,
        startsAt: a.startsAt,
        // Alertmanager sends the zero time for "not ended".
        endsAt: a.endsAt?.startsWith('0001-') ? undefined : a.endsAt,
        generatorURL: a.generatorURL,
        labels: a.labels,
      })),
    },
  };
}

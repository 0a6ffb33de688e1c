// POST /alerts/webhook: Alertmanager's webhook. Bearer-authenticated, size-limited, validated, then handed
// to the core. Alertmanager retries 5xx answers, and the core's handling is idempotent, so a failure to
// reach Slack answers 500 and the retry finishes the job.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAlertmanagerWebhook } from '../../src/adapters/alertmanager-webhook.js';
import { receiveAlertNotification } from '../../src/core/alerts.js';
import { type AlertDeps } from '../../src/core/deps.js';
import { readLimited, refuseTooLarge } from './body.js';

export const ALERT_WEBHOOK_MAX_BYTES = 1024 * 1024;

/** `deps` is a getter: the route is declared before the Bolt app (and so the Slack client) exists. */
export function alertWebhookRoute(getDeps: () => AlertDeps, token: string | undefined, count: (result: string) => void = () => {}) {
  return {
    path: '/alerts/webhook',
    method: ['POST'],
    handler: async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      res.once('finish', () => {
        if (res.statusCode >= 400 && res.statusCode < 500) count('rejected');
      });
      if (!token || !bearerMatches(req.headers.authorization, token)) {
        // Without ALERT_WEBHOOK_TOKEN nothing is accepted: an unauthenticated webhook could trigger rollbacks.
        return reply(res, 401, { error: token ? 'missing or wrong bearer token' : 'ALERT_WEBHOOK_TOKEN is not set on the bot' });
      }
      const body = await readLimited(req, ALERT_WEBHOOK_MAX_BYTES);
      if (body === 'too-large') return refuseTooLarge(req, res, ALERT_WEBHOOK_MAX_BYTES);
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        return reply(res, 400, { error: 'body is not JSON' });
      }
      const parsed = parseAlertmanagerWebhook(json);
      if (!parsed.ok) return reply(res, 400, { error: `not an Alertmanager v4 webhook payload: ${parsed.problem}` });
      const deps = getDeps();
      try {
        const result = await receiveAlertNotification(deps, parsed.notification);
        count(result.kind);
        reply(res, 200, { status: result.kind });
      } catch (error) {
        count('failed');
        deps.logger.error({ err: (error as Error).message, groupKey: parsed.notification.groupKey }, 'alert notification failed; Alertmanager will retry');
        reply(res, 500, { error: (error as Error).message });
      }
    },
  };
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!.trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

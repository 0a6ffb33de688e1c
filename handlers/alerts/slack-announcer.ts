// The core's AlertAnnouncer on Slack: the group message in SLACK_CHANNEL, news in its thread.
import type { WebClient } from '@slack/web-api';
import type { AlertAnnouncer } from '../../src/core/ports.js';
import type { AlertGroupRecord, AlertMessageContext, AlertThreadEvent } from '../../src/core/entities.js';
import { renderAlertGroup, renderAlertThreadEvent } from '../../views/index.js';
import { describeSlackError } from '../context.js';

export class SlackAlertAnnouncer implements AlertAnnouncer {
  constructor(
    private readonly client: WebClient,
    private readonly channel: string | undefined,
  ) {}

  async post(record: AlertGroupRecord, context: AlertMessageContext): Promise<{ channel: string; ts: string }> {
    if (!this.channel) throw new Error('SLACK_CHANNEL is not set: nowhere to post alerts');
    const message = renderAlertGroup(record, context);
    const result = await this.call('chat.postMessage', () =>
      this.client.chat.postMessage({ channel: this.channel!, text: message.text, blocks: message.blocks, unfurl_links: false }),
    );
    return { channel: result.channel ?? this.channel, ts: result.ts! };
  }

  async update(record: AlertGroupRecord, context: AlertMessageContext): Promise<void> {
    if (!record.channel || !record.ts) return;
    const message = renderAlertGroup(record, context);
    await this.call('chat.update', () => this.client.chat.update({ channel: record.channel!, ts: record.ts!, text: message.text, blocks: message.blocks }));
  }

  async thread(record: AlertGroupRecord, event: AlertThreadEvent): Promise<void> {
    if (!record.channel || !record.ts) return;
    const message = renderAlertThreadEvent(event);
    await this.call('chat.postMessage', () =>
      this.client.chat.postMessage({ channel: record.channel!, thread_ts: record.ts, text: message.text, blocks: message.blocks, unfurl_links: false }),
    );
  }

  private async call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw new Error(`Slack ${method} failed: ${describeSlackError(error)}`);
    }
  }
}

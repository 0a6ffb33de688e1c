// The playground's Slack: one workspace with #oncall-platform and four people. It is the bot's Slack Web API
// (chat.postMessage, chat.update, chat.postEphemeral, views.publish, the file upload flow, ...), serves the
// response_url of every slash command and click, and sends the bot what Slack would: signed slash commands,
// block_actions and app_home_opened events at POST /slack/events. The page renders what it keeps.
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../core/ports.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

export interface PlaygroundUser {
  id: string;
  name: string;
  realName: string;
  approver: boolean;
  role: string;
}

export const PLAYGROUND_USERS: PlaygroundUser[] = [
  { id: 'U0ALICE', name: 'alice', realName: 'Alice Martin', approver: true, role: 'on-call (L1)' },
  { id: 'U0BOB', name: 'bob', realName: 'Bob Chen', approver: true, role: 'platform lead (L2)' },
  { id: 'U0CAROL', name: 'carol', realName: 'Carol Diaz', approver: true, role: 'Rust maintainer (L3)' },
  { id: 'U0MALLORY', name: 'mallory', realName: 'Mallory Stone', approver: false, role: 'not an approver' },
];

export const BOT_USER = { id: 'U0MCPCANARY', botId: 'B0MCPCANARY', name: 'mcp-canary' };
const TEAM = { id: 'T0PLAYGROUND', domain: 'playground' };
const APP_ID = 'A0MCPCANARY';
const VERIFICATION_TOKEN = 'playground-verification-token';

export interface PlaygroundFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  bytes: Buffer;
  url: string;
}

export interface PlaygroundMessage {
  /** ts for channel messages; also set on ephemeral ones (unique, never reused). */
  ts: string;
  channel: string;
  threadTs?: string;
  /** Bot user id or a person's id. */
  author: string;
  /** Set on ephemeral messages: the only person who sees it. */
  ephemeralFor?: string;
  text?: string;
  blocks?: any[];
  files?: Array<Omit<PlaygroundFile, 'bytes'>>;
  /** The slash command that produced a response, shown above it (as Slack does for in_channel answers). */
  invokedWith?: { user: string; command: string };
  /** Set when an error came from "Slack itself" (timeouts, refused requests), not from the bot. */
  system?: boolean;
  editedAt?: number;
  postedAt: number;
}

interface ResponseTarget {
  user: string;
  channel: string;
  threadTs?: string;
  /** The message the click was on (for replace_original / delete_original). */
  messageTs?: string;
  command?: string;
}

export interface BotEndpoint {
  url: string;
  signingSecret: string;
}

export interface WebApiAnswer {
  status: number;
  body: Record<string, any>;
}

export class SlackWorkspace {
  readonly channel = { id: 'C0PLAYGROUND', name: 'oncall-platform' };
  readonly users = PLAYGROUND_USERS;
  readonly messages: PlaygroundMessage[] = [];
  readonly homeViews = new Map<string, any>();
  readonly files = new Map<string, PlaygroundFile>();
  /** Every Web API call the bot made, newest last (capped). */
  readonly calls: Array<{ method: string; at: number; ok: boolean }> = [];
  private readonly pendingUploads = new Map<string, { filename: string; title?: string; bytes?: Buffer }>();
  private readonly responseTargets = new Map<string, ResponseTarget>();
  private lastTsMicros = 0;
  private counter = 0;
  private listeners = new Set<() => void>();
  bot?: BotEndpoint;

  constructor(
    private readonly clock: Clock,
    private readonly baseUrl: () => string,
    private readonly botToken: string,
  ) {}

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  userById(id: string): PlaygroundUser | undefined {
    return this.users.find((u) => u.id === id);
  }

  /** Slack-shaped, unique, increasing timestamps on the playground's clock. */
  private nextTs(): string {
    const micros = Math.max(this.clock.now().getTime() * 1000, this.lastTsMicros + 100);
    this.lastTsMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  private findMessage(ts: string | undefined): PlaygroundMessage | undefined {
    return ts ? this.messages.find((m) => m.ts === ts) : undefined;
  }

  private post(message: Omit<PlaygroundMessage, 'ts' | 'postedAt'>): PlaygroundMessage {
    const full: PlaygroundMessage = { ...message, ts: this.nextTs(), postedAt: this.clock.now().getTime() };
    this.messages.push(full);
    this.changed();
    return full;
  }

  /** What `user` sees: every channel message, and the ephemeral ones meant for them. */
  visibleTo(user: string): PlaygroundMessage[] {
    return this.messages.filter((m) => !m.ephemeralFor || m.ephemeralFor === user);
  }

  dismiss(user: string, ts: string): void {
    const i = this.messages.findIndex((m) => m.ts === ts && m.ephemeralFor === user);
    if (i >= 0) {
      this.messages.splice(i, 1);
      this.changed();
    }
  }

  /** A person's plain chat message in the channel (or a thread). */
  say(user: string, text: string, threadTs?: string): PlaygroundMessage {
    return this.post({ channel: this.channel.id, author: user, text: escapeForMrkdwn(text), threadTs });
  }

  private systemError(user: string, text: string, threadTs?: string): void {
    this.post({ channel: this.channel.id, author: BOT_USER.id, ephemeralFor: user, text, threadTs, system: true });
  }

  // ------------------------------------------------------------------------------------------
  // Web API (the bot's WebClient calls `${baseUrl}/api/<method>`).

  webApi(method: string, args: Record<string, any>): WebApiAnswer {
    const answer = this.callMethod(method, args);
    this.calls.push({ method, at: Date.now(), ok: answer.body.ok === true });
    if (this.calls.length > 500) this.calls.splice(0, this.calls.length - 500);
    return answer;
  }

  private callMethod(method: string, args: Record<string, any>): WebApiAnswer {
    const ok = (body: Record<string, any> = {}): WebApiAnswer => ({ status: 200, body: { ok: true, ...body } });
    const fail = (error: string): WebApiAnswer => ({ status: 200, body: { ok: false, error } });
    if (method !== 'api.test' && args.token !== this.botToken) return fail('invalid_auth');
    const channelOk = (c: unknown) => c === this.channel.id;
    switch (method) {
      case 'api.test':
        return ok({ args });
      case 'auth.test':
        return ok({ url: `https://${TEAM.domain}.slack.com/`, team: 'Playground', user: BOT_USER.name, team_id: TEAM.id, user_id: BOT_USER.id, bot_id: BOT_USER.botId });
      case 'chat.postMessage': {
        if (!channelOk(args.channel)) return fail('channel_not_found');
        if (!args.text && !args.blocks) return fail('no_text');
        const threadTs = args.thread_ts ? String(args.thread_ts) : undefined;
        if (threadTs && !this.findMessage(threadTs)) return fail('thread_not_found');
        const m = this.post({ channel: this.channel.id, author: BOT_USER.id, text: args.text, blocks: args.blocks, threadTs });
        return ok({ channel: m.channel, ts: m.ts, message: this.asSlackMessage(m) });
      }
      case 'chat.update': {
        const m = this.findMessage(String(args.ts));
        if (!m || m.ephemeralFor || (args.channel && args.channel !== m.channel)) return fail('message_not_found');
        if (m.author !== BOT_USER.id) return fail('cant_update_message');
        if ('text' in args) m.text = args.text;
        if ('blocks' in args) m.blocks = args.blocks;
        m.editedAt = this.clock.now().getTime();
        this.changed();
        return ok({ channel: m.channel, ts: m.ts, text: m.text ?? '', message: this.asSlackMessage(m) });
      }
      case 'chat.delete': {
        const i = this.messages.findIndex((m) => m.ts === String(args.ts) && !m.ephemeralFor);
        if (i < 0) return fail('message_not_found');
        const [m] = this.messages.splice(i, 1);
        this.changed();
        return ok({ channel: m!.channel, ts: m!.ts });
      }
      case 'chat.postEphemeral': {
        if (!channelOk(args.channel)) return fail('channel_not_found');
        if (!this.userById(String(args.user))) return fail('user_not_in_channel');
        const m = this.post({
          channel: this.channel.id,
          author: BOT_USER.id,
          ephemeralFor: String(args.user),
          text: args.text,
          blocks: args.blocks,
          threadTs: args.thread_ts ? String(args.thread_ts) : undefined,
        });
        return ok({ message_ts: m.ts });
      }
      case 'chat.getPermalink':
        return ok({ channel: args.channel, permalink: `${this.baseUrl()}/#${String(args.message_ts)}` });
      case 'views.publish': {
        const user = String(args.user_id ?? '');
        if (!this.userById(user)) return fail('user_not_found');
        const view = typeof args.view === 'object' && args.view ? args.view : undefined;
        if (!view || view.type !== 'home') return fail('invalid_arguments');
        const published = { id: `V0HOME${user.slice(2)}`, team_id: TEAM.id, type: 'home', blocks: view.blocks ?? [], private_metadata: view.private_metadata ?? '', callback_id: view.callback_id ?? '', state: { values: {} }, hash: String(++this.counter), app_id: APP_ID, bot_id: BOT_USER.botId };
        this.homeViews.set(user, published);
        this.changed();
        return ok({ view: published });
      }
      case 'users.info': {
        const u = this.userById(String(args.user));
        return u ? ok({ user: { id: u.id, name: u.name, real_name: u.realName, team_id: TEAM.id, profile: { real_name: u.realName, display_name: u.name } } }) : fail('user_not_found');
      }
      case 'usergroups.users.list':
        return fail('no_such_subteam');
      case 'conversations.info':
        return channelOk(args.channel) ? ok({ channel: { id: this.channel.id, name: this.channel.name, is_channel: true, is_member: true } }) : fail('channel_not_found');
      case 'conversations.replies': {
        const list = this.messages.filter((m) => !m.ephemeralFor && (m.ts === args.ts || m.threadTs === args.ts));
        return list.length ? ok({ messages: list.map((m) => this.asSlackMessage(m)), has_more: false }) : fail('thread_not_found');
      }
      case 'conversations.history':
        return ok({ messages: this.messages.filter((m) => !m.ephemeralFor && !m.threadTs).reverse().map((m) => this.asSlackMessage(m)), has_more: false });
      case 'files.getUploadURLExternal': {
        if (!args.filename) return fail('invalid_arguments');
        const id = `F0${String(++this.counter).padStart(6, '0')}`;
        this.pendingUploads.set(id, { filename: String(args.filename) });
        return ok({ upload_url: `${this.baseUrl()}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        const list: any[] = Array.isArray(args.files) ? args.files : [];
        const done: PlaygroundFile[] = [];
        for (const f of list) {
          const pending = this.pendingUploads.get(String(f?.id));
          if (!pending?.bytes) return fail('file_not_found');
          this.pendingUploads.delete(String(f.id));
          const file: PlaygroundFile = {
            id: String(f.id),
            name: pending.filename,
            title: String(f.title ?? pending.filename),
            mimetype: pending.filename.endsWith('.png') ? 'image/png' : 'application/octet-stream',
            bytes: pending.bytes,
            url: `/files/${String(f.id)}/${encodeURIComponent(pending.filename)}`,
          };
          this.files.set(file.id, file);
          done.push(file);
        }
        if (args.channel_id) {
          if (!channelOk(args.channel_id)) return fail('channel_not_found');
          this.post({
            channel: this.channel.id,
            author: BOT_USER.id,
            text: args.initial_comment ? String(args.initial_comment) : '',
            threadTs: args.thread_ts ? String(args.thread_ts) : undefined,
            files: done.map(({ bytes: _, ...meta }) => meta),
          });
        }
        return ok({ files: done.map((f) => ({ id: f.id, name: f.name, title: f.title, mimetype: f.mimetype, size: f.bytes.length })) });
      }
      default:
        return ok();
    }
  }

  /** The bytes POSTed to an upload URL from files.getUploadURLExternal. */
  receiveUpload(id: string, bytes: Buffer): boolean {
    const pending = this.pendingUploads.get(id);
    if (!pending) return false;
    pending.bytes = bytes;
    return true;
  }

  private asSlackMessage(m: PlaygroundMessage): Record<string, any> {
    return {
      type: 'message',
      text: m.text ?? '',
      ...(m.blocks ? { blocks: m.blocks } : {}),
      user: m.author,
      ...(m.author === BOT_USER.id ? { bot_id: BOT_USER.botId, app_id: APP_ID } : {}),
      team: TEAM.id,
      ts: m.ts,
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
    };
  }

  // ------------------------------------------------------------------------------------------
  // response_url: what Slack does with a POST to it.

  private newResponseUrl(target: ResponseTarget): string {
    const id = randomBytes(9).toString('hex');
    this.responseTargets.set(id, target);
    return `${this.baseUrl()}/response/${id}`;
  }

  respond(id: string, body: any): WebApiAnswer {
    const target = this.responseTargets.get(id);
    if (!target) return { status: 404, body: { ok: false, error: 'expired_url' } };
    if (typeof body !== 'object' || body === null) return { status: 400, body: { ok: false, error: 'invalid_payload' } };
    const original = this.findMessage(target.messageTs);
    if (body.delete_original === true || body.delete_original === 'true') {
      if (original) {
        this.messages.splice(this.messages.indexOf(original), 1);
        this.changed();
      }
      return { status: 200, body: { ok: true } };
    }
    if ((body.replace_original === true || body.replace_original === 'true') && original) {
      if ('text' in body) original.text = body.text;
      original.blocks = body.blocks;
      original.editedAt = this.clock.now().getTime();
      this.changed();
      return { status: 200, body: { ok: true } };
    }
    if (!body.text && !body.blocks) return { status: 400, body: { ok: false, error: 'no_text' } };
    const inChannel = body.response_type === 'in_channel';
    this.post({
      channel: target.channel,
      author: BOT_USER.id,
      ephemeralFor: inChannel ? undefined : target.user,
      text: body.text,
      blocks: body.blocks,
      threadTs: body.thread_ts ? String(body.thread_ts) : target.threadTs,
      invokedWith: target.command ? { user: target.user, command: target.command } : undefined,
    });
    return { status: 200, body: { ok: true } };
  }

  // ------------------------------------------------------------------------------------------
  // Requests to the bot, signed like Slack's.

  private async sendToBot(rawBody: string): Promise<{ status: number; text: string } | { error: string }> {
    if (!this.bot) return { error: 'the bot is not running' };
    const ts = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', this.bot.signingSecret).update(`v0:${ts}:${rawBody}`).digest('hex');
    try {
      const res = await fetch(`${this.bot.url}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': rawBody.startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded',
          'x-slack-signature': `v0=${signature}`,
          'x-slack-request-timestamp': String(ts),
          'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
        },
        body: rawBody,
        // Slack gives up after 3 seconds.
        signal: AbortSignal.timeout(3000),
      });
      return { status: res.status, text: await res.text() };
    } catch (error) {
      return { error: (error as Error).name === 'TimeoutError' ? 'operation_timeout' : 'dispatch_failed' };
    }
  }

  /** `/mcp-canary <text>` typed by `user`. The ack's body (if any) is shown as Slack shows it. */
  async slashCommand(user: string, text: string, threadTs?: string): Promise<{ ok: boolean; error?: string }> {
    const person = this.userById(user);
    if (!person) return { ok: false, error: 'unknown user' };
    const command = `/mcp-canary ${text}`.trim();
    const responseUrl = this.newResponseUrl({ user, channel: this.channel.id, threadTs, command });
    const body = new URLSearchParams({
      token: VERIFICATION_TOKEN,
      team_id: TEAM.id,
      team_domain: TEAM.domain,
      channel_id: this.channel.id,
      channel_name: this.channel.name,
      user_id: user,
      user_name: person.name,
      command: '/mcp-canary',
      text,
      api_app_id: APP_ID,
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: triggerId(),
    }).toString();
    const result = await this.sendToBot(body);
    if ('error' in result) {
      this.systemError(user, `:warning: \`/mcp-canary\` failed with the error "${result.error}"`, threadTs);
      return { ok: false, error: result.error };
    }
    if (result.status !== 200) {
      this.systemError(user, `:warning: \`/mcp-canary\` failed with the error "dispatch_failed" (HTTP ${result.status})`, threadTs);
      return { ok: false, error: `HTTP ${result.status}` };
    }
    const ack = parseJson(result.text);
    if (ack && (ack.text || ack.blocks)) this.respond(responseUrl.split('/').pop()!, ack);
    else if (result.text.trim() && !ack) this.respond(responseUrl.split('/').pop()!, { text: escapeForMrkdwn(result.text) });
    return { ok: true };
  }

  /** A button click on a channel (or ephemeral) message, or on the App Home tab. */
  async click(input: { user: string; surface: 'message' | 'home'; messageTs?: string; blockId?: string; actionId: string; value?: string }): Promise<{ ok: boolean; error?: string }> {
    const person = this.userById(input.user);
    if (!person) return { ok: false, error: 'unknown user' };
    const actionTs = (Date.now() / 1000).toFixed(6);
    let blocks: any[] | undefined;
    const base: Record<string, any> = {
      type: 'block_actions',
      user: { id: person.id, username: person.name, name: person.name, team_id: TEAM.id },
      api_app_id: APP_ID,
      token: VERIFICATION_TOKEN,
      trigger_id: triggerId(),
      team: { id: TEAM.id, domain: TEAM.domain },
      enterprise: null,
      is_enterprise_install: false,
      state: { values: {} },
    };
    if (input.surface === 'home') {
      const view = this.homeViews.get(person.id);
      if (!view) return { ok: false, error: 'no App Home view for this user' };
      blocks = view.blocks;
      Object.assign(base, { container: { type: 'view', view_id: view.id }, view });
    } else {
      const message = this.findMessage(input.messageTs);
      if (!message || (message.ephemeralFor && message.ephemeralFor !== person.id)) return { ok: false, error: 'message not found' };
      blocks = message.blocks;
      Object.assign(base, {
        container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: !!message.ephemeralFor },
        channel: { id: message.channel, name: this.channel.name },
        ...(message.ephemeralFor ? {} : { message: this.asSlackMessage(message) }),
        response_url: this.newResponseUrl({ user: person.id, channel: message.channel, threadTs: message.threadTs, messageTs: message.ts }),
      });
    }
    const element = findElement(blocks, input.actionId, input.blockId, input.value);
    base.actions = [
      {
        action_id: input.actionId,
        block_id: input.blockId ?? element?.blockId ?? 'actions',
        ...(input.value !== undefined ? { value: input.value } : {}),
        type: 'button',
        action_ts: actionTs,
        text: element?.element?.text ?? { type: 'plain_text', text: input.actionId, emoji: true },
        ...(element?.element?.style ? { style: element.element.style } : {}),
      },
    ];
    const result = await this.sendToBot(new URLSearchParams({ payload: JSON.stringify(base) }).toString());
    if ('error' in result || result.status !== 200) {
      const why = 'error' in result ? result.error : `HTTP ${result.status}`;
      this.systemError(person.id, `:warning: The app did not answer the click (${why}).`);
      return { ok: false, error: why };
    }
    return { ok: true };
  }

  /** The person opened the bot's App Home tab: Slack sends app_home_opened. */
  async openHome(user: string): Promise<{ ok: boolean; error?: string }> {
    if (!this.userById(user)) return { ok: false, error: 'unknown user' };
    const view = this.homeViews.get(user);
    const body = JSON.stringify({
      token: VERIFICATION_TOKEN,
      team_id: TEAM.id,
      api_app_id: APP_ID,
      event: { type: 'app_home_opened', user, channel: `D0${user.slice(2)}`, tab: 'home', event_ts: (Date.now() / 1000).toFixed(6), ...(view ? { view } : {}) },
      type: 'event_callback',
      event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: TEAM.id, user_id: BOT_USER.id, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    });
    const result = await this.sendToBot(body);
    if ('error' in result) return { ok: false, error: result.error };
    return result.status === 200 ? { ok: true } : { ok: false, error: `HTTP ${result.status}` };
  }
}

function findElement(blocks: any[] | undefined, actionId: string, blockId?: string, value?: string): { blockId?: string; element: any } | undefined {
  for (const block of blocks ?? []) {
    const elements = block?.type === 'actions' ? block.elements : block?.accessory ? [block.accessory] : [];
    for (const element of elements ?? []) {
      if (element?.action_id === actionId && (value === undefined || element.value === value) && (!blockId || block.block_id === blockId)) {
        return { blockId: block.block_id, element };
      }
    }
  }
  return undefined;
}

function triggerId(): string {
  return `${Date.now()}.${Math.floor(Math.random() * 1e9)}.${randomBytes(16).toString('hex')}`;
}

function parseJson(text: string): any {
  try {
    const v = JSON.parse(text);
    return typeof v === 'object' && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}

/** What Slack does to a person's typed text: &, < and > become entities. */
function escapeForMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// The one local Slack of the development kit, used by the tests, the bench and the playground page:
//   - the Web API as the bot's WebClient sees it (point clientOptions.slackApiUrl / SLACK_API_URL at `apiUrl`):
//     chat.postMessage/update/delete/postEphemeral, views.publish, usergroups.users.list, conversations.*, the
//     external file-upload flow, ...; every call is recorded with its arguments, and can be made to fail on demand;
//   - response_url endpoints (POST /response/<id>) and upload URLs (POST /upload/<id>), uploaded files (GET /files/<id>/...);
//   - what people do in Slack, sent to the bot as signed requests: slash commands, button clicks, app_home_opened.
// It keeps the messages (channel messages in `messages`, with their edit history; ephemeral ones too, in `timeline`)
// and the App Home views, so tests assert on what people would see and the playground page renders them.
//
// Two ways to run it. Open (startFakeSlackApi(), the tests): any channel, user and token is accepted, message ts
// count up from 1700000000, response URLs are recorded and answered 'ok'. A closed workspace (the playground):
// one channel, its people and the bot's token only, ts from the given clock, and the response URLs it hands out
// do what Slack does (ephemeral or in-channel answers, replace_original, delete_original).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer, mediaType, readBody, sendJson, sleep } from './http-util.js';
import { signSlackRequest } from './slack-requests.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

export interface SlackCall {
  method: string;
  args: Record<string, any>;
  at: number;
  /** Set when failNext made this call fail (the call is still recorded: Slack did receive it). */
  failed?: string;
}

export interface SlackFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  bytes: Buffer;
  /** Path on the local Slack's server: /files/<id>/<name>. */
  url: string;
}

export interface SlackMessage {
  channel: string;
  ts: string;
  text: string | undefined;
  blocks: any[] | undefined;
  thread_ts?: string;
  /** Earlier versions, oldest first, pushed by each chat.update (and replace_original on a response URL this Slack handed out). */
  history: Array<{ text: string | undefined; blocks: any[] | undefined; at: number }>;
  /** Who posted it: the bot's user ID, or a person's (the playground's composer). */
  user: string;
  /** Set on ephemeral messages: the only person who sees it. Ephemeral messages are in `timeline`, never in `messages`. */
  ephemeralFor?: string;
  files?: Array<Omit<SlackFile, 'bytes'>>;
  /** The slash command that produced a response, shown above it (as Slack does for in_channel answers). */
  invokedWith?: { user: string; command: string };
  /** Set when an error came from "Slack itself" (timeouts, refused requests), not from the bot. */
  system?: boolean;
  postedAt: number;
  editedAt?: number;
}

export type SlackFailure = { error: string } | { status: 429; retryAfter: number } | { status: number };

export interface SlackPerson {
  id: string;
  name: string;
  realName: string;
  /** The playground shows these beside each person. */
  approver?: boolean;
  role?: string;
}

export interface SlackIdentity {
  team: { id: string; domain: string; name: string };
  bot: { userId: string; botId: string; name: string };
  appId: string;
}

/** The identity the tests' signed requests use (test/support/slack-requests.ts: T0001, A0001, UBOT). */
export const TEST_IDENTITY: SlackIdentity = {
  team: { id: 'T0001', domain: 'example', name: 'T' },
  bot: { userId: 'UBOT', botId: 'BBOT', name: 'mcp-canary' },
  appId: 'A0001',
};

export interface ClosedWorkspace {
  channel: { id: string; name: string };
  users: SlackPerson[];
  /** Web API calls with another token get invalid_auth. */
  botToken: string;
}

export interface LocalSlackOptions {
  identity?: SlackIdentity;
  /** A closed workspace (the playground); without it everything is accepted (the tests). */
  workspace?: ClosedWorkspace;
  /** Message timestamps and times from this clock; without it ts count up from 1700000000. */
  clock?: { now(): Date };
  /** How many calls and response_url posts are kept (oldest dropped first) [all]. */
  keep?: number;
}

/** What the tests (and the bench) use; LocalSlackApi has all of it. */
export interface FakeSlackApi {
  /** e.g. 'http://127.0.0.1:PORT/api/' (trailing slash, as WebClient wants it). */
  apiUrl: string;
  /** A response_url served by this fake: 'http://127.0.0.1:PORT/response/<id>' (id generated when omitted). */
  responseUrl(id?: string): string;
  calls: SlackCall[];
  /** POSTs to response URLs (JSON bodies parsed; other bodies kept as text). */
  responses: Array<{ id: string; body: any; at: number }>;
  /** Channel messages by ts (posted, updated, deleted through the Web API), in posting order. */
  messages: Map<string, SlackMessage>;
  /** Bytes POSTed to upload URLs from files.getUploadURLExternal, by file id. */
  uploads: Map<string, Buffer>;
  setUserGroup(id: string, users: string[]): void;
  /**
   * The next `times` calls of `method` fail. Besides Web API method names, 'response_url'
   * and 'upload' target the response and upload endpoints.
   */
  failNext(method: string, failure: SlackFailure, times?: number): void;
  /** Args of every call of `method`, in order (including failed ones). */
  callsOf(method: string): Array<Record<string, any>>;
  /** Polls `fn` (which may be async) until it returns something other than undefined/null/false. */
  waitFor<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs?: number): Promise<T>;
  setDelay(ms: number): void;
  reset(): void;
  close(): Promise<void>;
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

interface Answer {
  status: number;
  body: Record<string, any>;
}

// WebClient sends structured arguments as JSON strings in form bodies.
const JSON_ARGS = new Set(['blocks', 'attachments', 'view', 'metadata', 'files', 'user_auth_blocks', 'options', 'option_groups', 'profile']);

/** A Web API call's arguments, whichever way @slack/web-api sent them (form, JSON or multipart), token included. */
export async function webApiArgs(req: IncomingMessage, raw: Buffer, url: URL): Promise<Record<string, any>> {
  const type = mediaType(req.headers['content-type']);
  const args: Record<string, any> = Object.fromEntries(url.searchParams);
  if (type === 'application/json' && raw.length > 0) {
    Object.assign(args, JSON.parse(raw.toString('utf8')));
  } else if (type === 'application/x-www-form-urlencoded') {
    Object.assign(args, Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
  } else if (type === 'multipart/form-data') {
    const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
    for (const [k, v] of form.entries()) args[k] = typeof v === 'string' ? v : Buffer.from(await v.arrayBuffer());
  }
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ') && args.token === undefined) args.token = auth.slice('Bearer '.length);
  for (const key of Object.keys(args)) {
    if (JSON_ARGS.has(key) && typeof args[key] === 'string') {
      try {
        args[key] = JSON.parse(args[key]);
      } catch {
        // left as sent: the method answers invalid_arguments
      }
    }
  }
  return args;
}

/** The file bytes of an upload: the first file part of a multipart body, else the raw body. */
async function uploadBytes(req: IncomingMessage, raw: Buffer): Promise<Buffer> {
  if (mediaType(req.headers['content-type']) !== 'multipart/form-data') return raw;
  const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
  for (const [, v] of form.entries()) if (typeof v !== 'string') return Buffer.from(await v.arrayBuffer());
  return raw;
}

// The deprecated verification token Slack still sends in bodies; Bolt ignores it.
const VERIFICATION_TOKEN = 'verification-token';

export class LocalSlackApi implements FakeSlackApi {
  readonly identity: SlackIdentity;
  readonly workspace?: ClosedWorkspace;
  readonly calls: SlackCall[] = [];
  readonly responses: Array<{ id: string; body: any; at: number }> = [];
  readonly messages = new Map<string, SlackMessage>();
  /** Every message in posting order, ephemeral ones and people's included (what the playground page shows). */
  readonly timeline: SlackMessage[] = [];
  readonly uploads = new Map<string, Buffer>();
  /** Files shared with files.completeUploadExternal, by id. */
  readonly files = new Map<string, SlackFile>();
  /** The App Home view last published for each user. */
  readonly homeViews = new Map<string, any>();
  /** Where signed requests go (slashCommand, click, openHome). */
  bot?: BotEndpoint;
  private readonly pendingFiles = new Map<string, { filename?: string; length?: number }>();
  private readonly responseTargets = new Map<string, ResponseTarget>();
  private readonly userGroups = new Map<string, string[]>();
  private readonly viewIds = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  private failures: Array<{ method: string; failure: SlackFailure; times: number }> = [];
  private delayMs = 0;
  private base = '';
  // Counters survive reset() so a ts or id from an earlier test never aliases a new one.
  private tsCounter = 0;
  private lastTsMicros = 0;
  private fileCounter = 0;
  private responseCounter = 0;
  private viewCounter = 0;
  private hashCounter = 0;

  constructor(private readonly options: LocalSlackOptions = {}) {
    this.identity = options.identity ?? TEST_IDENTITY;
    this.workspace = options.workspace;
  }

  /** The base URL this Slack is served at (its own server, or the playground page's). */
  get url(): string {
    return this.base;
  }

  set url(base: string) {
    this.base = base.replace(/\/$/, '');
  }

  get apiUrl(): string {
    return `${this.base}/api/`;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private now(): number {
    return this.options.clock ? this.options.clock.now().getTime() : Date.now();
  }

  /** Unique, increasing, Slack-shaped timestamps: from the clock, or '1700000000.000100', '1700000000.000200', ... */
  private nextTs(): string {
    if (this.options.clock) {
      const micros = Math.max(this.options.clock.now().getTime() * 1000, this.lastTsMicros + 100);
      this.lastTsMicros = micros;
      return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
    }
    const n = ++this.tsCounter;
    return `${1700000000 + Math.floor(n / 10000)}.${String((n % 10000) * 100).padStart(6, '0')}`;
  }

  // ------------------------------------------------------------------------------------------
  // The workspace: its channel(s) and people.

  /** The closed workspace's channel (the open one has no single channel: undefined). */
  get channel(): { id: string; name: string } | undefined {
    return this.workspace?.channel;
  }

  get users(): SlackPerson[] {
    return this.workspace?.users ?? [];
  }

  private channelById(id: unknown): { id: string; name: string } | undefined {
    if (this.workspace) return id === this.workspace.channel.id ? this.workspace.channel : undefined;
    return id ? { id: String(id), name: 'oncall-platform' } : undefined;
  }

  /** A person of the closed workspace; in the open one anybody (named after their ID). */
  userById(id: string | undefined): SlackPerson | undefined {
    if (this.workspace) return this.workspace.users.find((u) => u.id === id);
    if (!id) return undefined;
    const name = id.replace(/^U_?/, '').toLowerCase() || 'user';
    return { id, name, realName: name };
  }

  setUserGroup(id: string, users: string[]): void {
    this.userGroups.set(id, [...users]);
  }

  private findMessage(ts: string | undefined): SlackMessage | undefined {
    return ts ? this.timeline.find((m) => m.ts === ts) : undefined;
  }

  private post(message: Omit<SlackMessage, 'ts' | 'postedAt' | 'history'>): SlackMessage {
    const full: SlackMessage = { ...message, ts: this.nextTs(), history: [], postedAt: this.now() };
    if (full.thread_ts === undefined) delete full.thread_ts;
    this.timeline.push(full);
    if (!full.ephemeralFor) this.messages.set(full.ts, full);
    this.changed();
    return full;
  }

  private remove(message: SlackMessage): void {
    const i = this.timeline.indexOf(message);
    if (i >= 0) this.timeline.splice(i, 1);
    if (this.messages.get(message.ts) === message) this.messages.delete(message.ts);
    this.changed();
  }

  private edit(message: SlackMessage, change: { text?: string; blocks?: any[] }): void {
    message.history.push({ text: message.text, blocks: message.blocks, at: Date.now() });
    if ('text' in change) message.text = change.text;
    // Like Slack: blocks omitted keeps the old ones; [] removes them.
    if ('blocks' in change) message.blocks = change.blocks;
    message.editedAt = this.now();
    this.changed();
  }

  /** What `user` sees: every channel message, and the ephemeral ones meant for them. */
  visibleTo(user: string): SlackMessage[] {
    return this.timeline.filter((m) => !m.ephemeralFor || m.ephemeralFor === user);
  }

  /** "Dismiss" on an ephemeral message. */
  dismiss(user: string, ts: string): void {
    const m = this.timeline.find((x) => x.ts === ts && x.ephemeralFor === user);
    if (m) this.remove(m);
  }

  /** A person's plain chat message in the channel (or a thread). */
  say(user: string, text: string, threadTs?: string): SlackMessage {
    return this.post({ channel: this.defaultChannel(), user, text: escapeForMrkdwn(text), blocks: undefined, thread_ts: threadTs });
  }

  private defaultChannel(): string {
    return this.workspace?.channel.id ?? 'C0ONCALL';
  }

  private systemError(user: string, text: string, threadTs?: string): void {
    this.post({ channel: this.defaultChannel(), user: this.identity.bot.userId, ephemeralFor: user, text, blocks: undefined, thread_ts: threadTs, system: true });
  }

  // ------------------------------------------------------------------------------------------
  // Recording, failures on demand, waiting.

  failNext(method: string, failure: SlackFailure, times = 1): void {
    this.failures.push({ method, failure, times });
  }

  private takeFailure(method: string): SlackFailure | undefined {
    const f = this.failures.find((x) => x.method === method);
    if (!f) return undefined;
    if (--f.times <= 0) this.failures = this.failures.filter((x) => x !== f);
    return f.failure;
  }

  /** Writes the failure; returns a short label for the call log. */
  private sendFailure(res: ServerResponse, failure: SlackFailure): string {
    if ('error' in failure) {
      sendJson(res, 200, { ok: false, error: failure.error });
      return failure.error;
    }
    if (failure.status === 429) {
      const retryAfter = 'retryAfter' in failure ? failure.retryAfter : 1;
      sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfter) });
      return 'HTTP 429';
    }
    res.writeHead(failure.status, { 'content-type': 'text/plain' });
    res.end(`HTTP ${failure.status} (fake-slack-api injected failure)`);
    return `HTTP ${failure.status}`;
  }

  private trim(list: unknown[]): void {
    const keep = this.options.keep;
    if (keep !== undefined && list.length > keep) list.splice(0, list.length - keep);
  }

  callsOf(method: string): Array<Record<string, any>> {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  async waitFor<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 3000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const v = await fn();
        if (v !== undefined && v !== null && v !== false) return v;
        lastError = undefined;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() >= deadline) {
        const why = lastError instanceof Error ? `\nlast error from the predicate: ${lastError.message}` : '';
        throw new Error(
          `fake Slack: condition not met within ${timeoutMs} ms${why}\n` +
            `last Web API calls (${this.calls.length} in all):\n${this.describeCalls()}\n` +
            `response_url posts: ${this.responses.length}; messages: ${this.messages.size}`,
        );
      }
      await sleep(10);
    }
  }

  private describeCalls(): string {
    return (
      this.calls
        .slice(-15)
        .map((c) => {
          const hint = c.args.text ?? c.args.ts ?? c.args.usergroup ?? '';
          return `  ${c.method}(${c.args.channel ?? ''}${hint ? ` ${JSON.stringify(String(hint).slice(0, 60))}` : ''})${c.failed ? ` -> ${c.failed}` : ''}`;
        })
        .join('\n') || '  (none)'
    );
  }

  /** Forgets everything recorded and kept (not the counters, nor where it is served or the bot endpoint). */
  reset(): void {
    this.calls.length = 0;
    this.responses.length = 0;
    this.messages.clear();
    this.timeline.length = 0;
    this.uploads.clear();
    this.files.clear();
    this.homeViews.clear();
    this.pendingFiles.clear();
    this.responseTargets.clear();
    this.userGroups.clear();
    this.viewIds.clear();
    this.failures = [];
    this.delayMs = 0;
    this.changed();
  }

  /** Set by startLocalSlackApi (its own server); the playground closes its page server instead. */
  async close(): Promise<void> {}

  // ------------------------------------------------------------------------------------------
  // Web API. Answers follow Slack's shapes; anything not listed answers {ok:true}.

  /** Calls a Web API method as if over HTTP (recorded; failures on demand are not applied here). */
  webApi(method: string, args: Record<string, any>): Answer {
    this.calls.push({ method, args, at: Date.now() });
    this.trim(this.calls);
    return this.callMethod(method, args);
  }

  private callMethod(method: string, args: Record<string, any>): Answer {
    const ok = (body: Record<string, any> = {}): Answer => ({ status: 200, body: { ok: true, ...body } });
    const fail = (error: string): Answer => ({ status: 200, body: { ok: false, error } });
    const { team, bot, appId } = this.identity;
    if (this.workspace && method !== 'api.test' && args.token !== this.workspace.botToken) return fail('invalid_auth');
    switch (method) {
      case 'api.test':
        return ok({ args });
      case 'auth.test':
        return ok({ url: `https://${team.domain}.slack.com/`, team: team.name, user: bot.name, team_id: team.id, user_id: bot.userId, bot_id: bot.botId });
      case 'chat.postMessage': {
        const channel = this.channelById(args.channel);
        if (!channel) return fail('channel_not_found');
        if (!args.text && !args.blocks && !args.attachments) return fail('no_text');
        const threadTs = args.thread_ts ? String(args.thread_ts) : undefined;
        if (this.workspace && threadTs && !this.findMessage(threadTs)) return fail('thread_not_found');
        const m = this.post({ channel: channel.id, user: bot.userId, text: args.text, blocks: args.blocks, thread_ts: threadTs });
        return ok({ channel: m.channel, ts: m.ts, message: this.asSlackMessage(m) });
      }
      case 'chat.update': {
        const m = this.messages.get(String(args.ts));
        if (!m || (args.channel && String(args.channel) !== m.channel)) return fail('message_not_found');
        if (m.user !== bot.userId) return fail('cant_update_message');
        this.edit(m, { ...('text' in args ? { text: args.text } : {}), ...('blocks' in args ? { blocks: args.blocks } : {}) });
        return ok({ channel: m.channel, ts: m.ts, text: m.text ?? '', message: this.asSlackMessage(m) });
      }
      case 'chat.delete': {
        const m = this.messages.get(String(args.ts));
        if (!m) return fail('message_not_found');
        this.remove(m);
        return ok({ channel: m.channel, ts: m.ts });
      }
      case 'chat.postEphemeral': {
        const channel = this.channelById(args.channel);
        if (!channel) return fail('channel_not_found');
        if (!this.userById(args.user ? String(args.user) : undefined)) return fail('user_not_in_channel');
        const threadTs = args.thread_ts ? String(args.thread_ts) : undefined;
        const m = this.post({ channel: channel.id, user: bot.userId, ephemeralFor: String(args.user), text: args.text, blocks: args.blocks, thread_ts: threadTs });
        return ok({ message_ts: m.ts });
      }
      case 'chat.getPermalink':
        // The playground's links go to the message on its page.
        return ok({
          channel: args.channel,
          permalink: this.workspace
            ? `${this.base}/#${String(args.message_ts)}`
            : `https://${team.domain}.slack.com/archives/${args.channel}/p${String(args.message_ts).replace('.', '')}`,
        });
      case 'views.publish': {
        const user = String(args.user_id ?? '');
        if (!this.userById(user)) return fail('user_not_found');
        const view = typeof args.view === 'object' && args.view ? args.view : undefined;
        if (!view || view.type !== 'home') return fail('invalid_arguments');
        let id = this.viewIds.get(user);
        if (!id) this.viewIds.set(user, (id = `V${++this.viewCounter}`));
        const published = {
          id,
          team_id: team.id,
          type: 'home',
          blocks: view.blocks ?? [],
          private_metadata: view.private_metadata ?? '',
          callback_id: view.callback_id ?? '',
          state: { values: {} },
          hash: String(++this.hashCounter),
          app_id: appId,
          bot_id: bot.botId,
        };
        this.homeViews.set(user, published);
        this.changed();
        return ok({ view: published });
      }
      case 'users.info': {
        const u = this.userById(String(args.user));
        return u ? ok({ user: { id: u.id, name: u.name, real_name: u.realName, team_id: team.id, profile: { real_name: u.realName, display_name: u.name } } }) : fail('user_not_found');
      }
      case 'usergroups.users.list': {
        const users = this.userGroups.get(String(args.usergroup));
        return users ? ok({ users: [...users] }) : fail('no_such_subteam');
      }
      case 'conversations.info': {
        const channel = this.channelById(args.channel);
        return channel ? ok({ channel: { id: channel.id, name: channel.name, is_channel: true, is_member: true } }) : fail('channel_not_found');
      }
      case 'conversations.replies': {
        const thread = [...this.messages.values()].filter((m) => m.channel === args.channel && (m.ts === args.ts || m.thread_ts === args.ts));
        return thread.length ? ok({ messages: thread.map((m) => this.asSlackMessage(m)), has_more: false }) : fail('thread_not_found');
      }
      case 'conversations.history': {
        const list = [...this.messages.values()].filter((m) => m.channel === args.channel && !m.thread_ts).reverse();
        return ok({ messages: list.map((m) => this.asSlackMessage(m)), has_more: false });
      }
      case 'files.getUploadURLExternal': {
        if (!args.filename) return fail('invalid_arguments');
        const id = `F${++this.fileCounter}`;
        this.pendingFiles.set(id, { filename: String(args.filename), length: args.length === undefined ? undefined : Number(args.length) });
        return ok({ upload_url: `${this.base}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        const list: any[] = Array.isArray(args.files) ? args.files : [];
        const done: SlackFile[] = [];
        for (const f of list) {
          const id = String(f?.id);
          const bytes = this.uploads.get(id);
          const pending = this.pendingFiles.get(id);
          if (!bytes || !pending) return fail('file_not_found');
          const name = pending.filename ?? id;
          done.push({
            id,
            name,
            title: String(f.title ?? name),
            mimetype: name.endsWith('.png') ? 'image/png' : 'application/octet-stream',
            bytes,
            url: `/files/${id}/${encodeURIComponent(name)}`,
          });
        }
        let channel: { id: string } | undefined;
        if (args.channel_id) {
          channel = this.channelById(args.channel_id);
          if (!channel) return fail('channel_not_found');
        }
        for (const file of done) {
          this.pendingFiles.delete(file.id);
          this.files.set(file.id, file);
        }
        // Sharing the files posts them in the channel (or thread), with the comment.
        if (channel) {
          this.post({
            channel: channel.id,
            user: bot.userId,
            text: args.initial_comment ? String(args.initial_comment) : '',
            blocks: undefined,
            thread_ts: args.thread_ts ? String(args.thread_ts) : undefined,
            files: done.map(({ bytes: _, ...meta }) => meta),
          });
        }
        return ok({ files: done.map((f) => ({ id: f.id, name: f.name, title: f.title, mimetype: f.mimetype, size: f.bytes.length })) });
      }
      default:
        return ok();
    }
  }

  private asSlackMessage(m: SlackMessage): Record<string, any> {
    const { bot, appId, team } = this.identity;
    return {
      type: 'message',
      text: m.text ?? '',
      ...(m.blocks ? { blocks: m.blocks } : {}),
      user: m.user,
      ...(m.user === bot.userId ? { bot_id: bot.botId, app_id: appId } : {}),
      team: team.id,
      ts: m.ts,
      ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    };
  }

  // ------------------------------------------------------------------------------------------
  // response_url: recorded; the ones handed out with a target (the playground's) do what Slack does.

  /** A response URL served here. With a target, a POST to it answers in the channel as Slack would. */
  responseUrl(id?: string, target?: ResponseTarget): string {
    const key = id ?? (target ? randomBytes(9).toString('hex') : `r${++this.responseCounter}`);
    if (target) this.responseTargets.set(key, target);
    return `${this.base}/response/${key}`;
  }

  private respond(target: ResponseTarget, body: any): Answer {
    if (typeof body !== 'object' || body === null) return { status: 400, body: { ok: false, error: 'invalid_payload' } };
    const original = this.findMessage(target.messageTs);
    if (body.delete_original === true || body.delete_original === 'true') {
      if (original) this.remove(original);
      return { status: 200, body: { ok: true } };
    }
    if ((body.replace_original === true || body.replace_original === 'true') && original) {
      this.edit(original, { ...('text' in body ? { text: body.text } : {}), blocks: body.blocks });
      return { status: 200, body: { ok: true } };
    }
    if (!body.text && !body.blocks) return { status: 400, body: { ok: false, error: 'no_text' } };
    const inChannel = body.response_type === 'in_channel';
    this.post({
      channel: target.channel,
      user: this.identity.bot.userId,
      ephemeralFor: inChannel ? undefined : target.user,
      text: body.text,
      blocks: body.blocks,
      thread_ts: body.thread_ts ? String(body.thread_ts) : target.threadTs,
      invokedWith: target.command ? { user: target.user, command: target.command } : undefined,
    });
    return { status: 200, body: { ok: true } };
  }

  // ------------------------------------------------------------------------------------------
  // HTTP: /api/<method>, /response/<id>, /upload/<id>, /files/<id>/<name>.

  /** Serves a request if it is one of this Slack's routes; false otherwise (the caller answers it). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, kind, id] = url.pathname.split('/');
    if (!id || !(kind === 'api' || kind === 'response' || kind === 'upload' || kind === 'files')) return false;

    if (kind === 'files') {
      const file = req.method === 'GET' ? this.files.get(id) : undefined;
      if (!file) res.writeHead(404, { 'content-type': 'text/plain' }).end('file not found');
      else {
        res.writeHead(200, { 'content-type': file.mimetype, 'content-length': String(file.bytes.length), 'cache-control': 'max-age=3600' });
        res.end(file.bytes);
      }
      return true;
    }

    const raw = await readBody(req);
    if (this.delayMs > 0) await sleep(this.delayMs);

    if (kind === 'api') {
      const args = await webApiArgs(req, raw, url);
      const failure = this.takeFailure(id);
      if (failure) {
        this.calls.push({ method: id, args, at: Date.now(), failed: this.sendFailure(res, failure) });
        this.trim(this.calls);
        return true;
      }
      const answer = this.webApi(id, args);
      sendJson(res, answer.status, answer.body);
      return true;
    }

    if (req.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return true;
    }

    if (kind === 'response') {
      const text = raw.toString('utf8');
      let body: any = text;
      let json = true;
      try {
        body = JSON.parse(text);
      } catch {
        json = false; // kept as text
      }
      this.responses.push({ id, body, at: Date.now() });
      this.trim(this.responses);
      const failure = this.takeFailure('response_url');
      if (failure) {
        this.sendFailure(res, failure);
        return true;
      }
      const target = this.responseTargets.get(id);
      if (target) {
        const answer = json ? this.respond(target, body) : { status: 400, body: { ok: false, error: 'invalid_json' } };
        sendJson(res, answer.status, answer.body);
      } else if (this.workspace) {
        sendJson(res, 404, { ok: false, error: 'expired_url' });
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('ok');
      }
      return true;
    }

    // upload
    const failure = this.takeFailure('upload');
    if (failure) {
      this.sendFailure(res, failure);
      return true;
    }
    if (this.workspace && !this.pendingFiles.has(id)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('unknown upload');
      return true;
    }
    const bytes = await uploadBytes(req, raw);
    this.uploads.set(id, bytes);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`OK - ${bytes.length}`);
    return true;
  }

  // ------------------------------------------------------------------------------------------
  // People in Slack: requests to the bot, signed like Slack's.

  private async sendToBot(rawBody: string): Promise<{ status: number; text: string } | { error: string }> {
    if (!this.bot) return { error: 'the bot is not running' };
    try {
      const res = await fetch(`${this.bot.url}/slack/events`, {
        method: 'POST',
        headers: { ...signSlackRequest(this.bot.signingSecret, rawBody), 'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)' },
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
    const channel = this.channelById(this.defaultChannel())!;
    const command = `/mcp-canary ${text}`.trim();
    const target: ResponseTarget = { user, channel: channel.id, threadTs, command };
    const responseUrl = this.responseUrl(undefined, target);
    const { team, appId } = this.identity;
    const body = new URLSearchParams({
      token: VERIFICATION_TOKEN,
      team_id: team.id,
      team_domain: team.domain,
      channel_id: channel.id,
      channel_name: channel.name,
      user_id: user,
      user_name: person.name,
      command: '/mcp-canary',
      text,
      api_app_id: appId,
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
    if (ack && (ack.text || ack.blocks)) this.respond(target, ack);
    else if (result.text.trim() && !ack) this.respond(target, { text: escapeForMrkdwn(result.text) });
    return { ok: true };
  }

  /** A button click on a channel (or ephemeral) message, or on the App Home tab. */
  async click(input: { user: string; surface: 'message' | 'home'; messageTs?: string; blockId?: string; actionId: string; value?: string }): Promise<{ ok: boolean; error?: string }> {
    const person = this.userById(input.user);
    if (!person) return { ok: false, error: 'unknown user' };
    const { team, appId } = this.identity;
    const actionTs = (Date.now() / 1000).toFixed(6);
    let blocks: any[] | undefined;
    const base: Record<string, any> = {
      type: 'block_actions',
      user: { id: person.id, username: person.name, name: person.name, team_id: team.id },
      api_app_id: appId,
      token: VERIFICATION_TOKEN,
      trigger_id: triggerId(),
      team: { id: team.id, domain: team.domain },
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
        channel: { id: message.channel, name: this.channelById(message.channel)?.name ?? 'channel' },
        ...(message.ephemeralFor ? {} : { message: this.asSlackMessage(message) }),
        response_url: this.responseUrl(undefined, { user: person.id, channel: message.channel, threadTs: message.thread_ts, messageTs: message.ts }),
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
    const { team, bot, appId } = this.identity;
    const view = this.homeViews.get(user);
    const body = JSON.stringify({
      token: VERIFICATION_TOKEN,
      team_id: team.id,
      api_app_id: appId,
      event: { type: 'app_home_opened', user, channel: `D0${user.slice(2)}`, tab: 'home', event_ts: (Date.now() / 1000).toFixed(6), ...(view ? { view } : {}) },
      type: 'event_callback',
      event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: team.id, user_id: bot.userId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    });
    const result = await this.sendToBot(body);
    if ('error' in result) return { ok: false, error: result.error };
    return result.status === 200 ? { ok: true } : { ok: false, error: `HTTP ${result.status}` };
  }
}

/** The local Slack on its own server (127.0.0.1, a free port unless `port` is given). */
export async function startLocalSlackApi(options: LocalSlackOptions & { port?: number } = {}): Promise<LocalSlackApi> {
  const slack = new LocalSlackApi(options);
  const server = new LocalServer((req, res) => {
    slack
      .handle(req, res)
      .then((handled) => {
        if (!handled) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      })
      .catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'fatal_error', detail: String(err) });
        else res.destroy();
      });
  });
  server.port = options.port ?? 0;
  await server.start();
  slack.url = server.url;
  slack.close = () => server.stop();
  return slack;
}

/** The tests' Slack: open, the tests' identity (UBOT in T0001), on a free port. */
export function startFakeSlackApi(): Promise<LocalSlackApi> {
  return startLocalSlackApi();
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

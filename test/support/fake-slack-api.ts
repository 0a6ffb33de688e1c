// The Slack Web API as the bot's WebClient sees it (point Bolt's clientOptions.slackApiUrl at
// `apiUrl`), plus response_url endpoints and the external file-upload URL. It keeps the
// messages it was asked to post/update so tests can assert on what users would see.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { webApiArgs } from '../../src/playground/page-server.js';
import { LocalServer, mediaType, readBody, sendJson, sleep } from './http-util.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

export interface SlackCall {
  method: string;
  args: Record<string, any>;
  at: number;
  /** Set when failNext made this call fail (the call is still recorded: Slack did receive it). */
  failed?: string;
}

export interface SlackMessage {
  channel: string;
  ts: string;
  text: string | undefined;
  blocks: any[] | undefined;
  thread_ts?: string;
  /** Earlier versions, oldest first, pushed by each chat.update. */
  history: Array<{ text: string | undefined; blocks: any[] | undefined; at: number }>;
}

export type SlackFailure = { error: string } | { status: 429; retryAfter: number } | { status: number };

export interface FakeSlackApi {
  /** e.g. 'http://127.0.0.1:PORT/api/' (trailing slash, as WebClient wants it). */
  apiUrl: string;
  /** A response_url served by this fake: 'http://127.0.0.1:PORT/response/<id>' (id generated when omitted). */
  responseUrl(id?: string): string;
  calls: SlackCall[];
  /** POSTs to response URLs (JSON bodies parsed; other bodies kept as text). */
  responses: Array<{ id: string; body: any; at: number }>;
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

/** The file bytes of an upload: the first file part of a multipart body, else the raw body. */
async function uploadBytes(req: IncomingMessage, raw: Buffer): Promise<Buffer> {
  if (mediaType(req.headers['content-type']) !== 'multipart/form-data') return raw;
  const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
  for (const [, v] of form.entries()) if (typeof v !== 'string') return Buffer.from(await v.arrayBuffer());
  return raw;
}

export async function startFakeSlackApi(): Promise<FakeSlackApi> {
  const calls: SlackCall[] = [];
  const responses: FakeSlackApi['responses'] = [];
  const messages = new Map<string, SlackMessage>();
  const uploads = new Map<string, Buffer>();
  const pendingFiles = new Map<string, { filename?: string; length?: number }>();
  const userGroups = new Map<string, string[]>();
  let failures: Array<{ method: string; failure: SlackFailure; times: number }> = [];
  let delayMs = 0;
  // Counters survive reset() so a ts or id from an earlier test never aliases a new one.
  let tsCounter = 0;
  let fileCounter = 0;
  let responseCounter = 0;

  /** Unique, increasing, Slack-shaped timestamps: '1700000000.000100', '1700000000.000200', ... */
  const nextTs = () => {
    const n = ++tsCounter;
    return `${1700000000 + Math.floor(n / 10000)}.${String((n % 10000) * 100).padStart(6, '0')}`;
  };

  function takeFailure(method: string): SlackFailure | undefined {
    const f = failures.find((x) => x.method === method);
    if (!f) return undefined;
    if (--f.times <= 0) failures = failures.filter((x) => x !== f);
    return f.failure;
  }

  /** Writes the failure; returns a short label for the call log. */
  function sendFailure(res: ServerResponse, failure: SlackFailure): string {
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

  const botMessage = (m: SlackMessage) => ({
    type: 'message',
    text: m.text ?? '',
    ...(m.blocks ? { blocks: m.blocks } : {}),
    user: 'UBOT',
    bot_id: 'BBOT',
    app_id: 'A0001',
    team: 'T0001',
    ts: m.ts,
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
  });

  // Web API methods. Answers follow Slack's shapes; anything not listed answers {ok:true}.
  function callMethod(method: string, args: Record<string, any>): Record<string, any> {
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://example.slack.com/', team: 'T', user: 'mcp-canary', team_id: 'T0001', user_id: 'UBOT', bot_id: 'BBOT' };
      case 'chat.postMessage': {
        if (!args.channel) return { ok: false, error: 'channel_not_found' };
        if (!args.text && !args.blocks && !args.attachments) return { ok: false, error: 'no_text' };
        const msg: SlackMessage = { channel: String(args.channel), ts: nextTs(), text: args.text, blocks: args.blocks, history: [] };
        if (args.thread_ts) msg.thread_ts = String(args.thread_ts);
        messages.set(msg.ts, msg);
        return { ok: true, channel: msg.channel, ts: msg.ts, message: botMessage(msg) };
      }
      case 'chat.update': {
        const msg = messages.get(String(args.ts));
        if (!msg || (args.channel && String(args.channel) !== msg.channel)) return { ok: false, error: 'message_not_found' };
        msg.history.push({ text: msg.text, blocks: msg.blocks, at: Date.now() });
        if ('text' in args) msg.text = args.text;
        // Like Slack: blocks omitted keeps the old ones; [] removes them.
        if ('blocks' in args) msg.blocks = args.blocks;
        return { ok: true, channel: msg.channel, ts: msg.ts, text: msg.text ?? '', message: botMessage(msg) };
      }
      case 'chat.delete': {
        const msg = messages.get(String(args.ts));
        if (!msg) return { ok: false, error: 'message_not_found' };
        messages.delete(msg.ts);
        return { ok: true, channel: msg.channel, ts: msg.ts };
      }
      case 'chat.postEphemeral':
        if (!args.channel) return { ok: false, error: 'channel_not_found' };
        if (!args.user) return { ok: false, error: 'user_not_in_channel' };
        return { ok: true, message_ts: nextTs() };
      case 'chat.getPermalink':
        return { ok: true, channel: args.channel, permalink: `https://example.slack.com/archives/${args.channel}/p${String(args.message_ts).replace('.', '')}` };
      case 'conversations.replies': {
        const thread = [...messages.values()].filter((m) => m.channel === args.channel && (m.ts === args.ts || m.thread_ts === args.ts));
        if (thread.length === 0) return { ok: false, error: 'thread_not_found' };
        return { ok: true, messages: thread.map(botMessage), has_more: false };
      }
      case 'conversations.history': {
        const list = [...messages.values()].filter((m) => m.channel === args.channel && !m.thread_ts).reverse();
        return { ok: true, messages: list.map(botMessage), has_more: false };
      }
      case 'usergroups.users.list': {
        const users = userGroups.get(String(args.usergroup));
        return users ? { ok: true, users: [...users] } : { ok: false, error: 'no_such_subteam' };
      }
      case 'views.publish':
        return { ok: true, view: { id: 'V1', type: args.view?.type ?? 'home', ...(args.view ?? {}) } };
      case 'conversations.info':
        return { ok: true, channel: { id: args.channel, name: 'oncall-platform', is_channel: true, is_member: true } };
      case 'files.getUploadURLExternal': {
        const id = `F${++fileCounter}`;
        pendingFiles.set(id, { filename: args.filename, length: args.length === undefined ? undefined : Number(args.length) });
        return { ok: true, upload_url: `${server.url}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files: any[] = Array.isArray(args.files) ? args.files : [];
        return {
          ok: true,
          files: files.map((f) => ({ id: f.id, title: f.title, name: pendingFiles.get(f.id)?.filename, size: uploads.get(f.id)?.length })),
        };
      }
      default:
        return { ok: true };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await readBody(req);
    if (delayMs > 0) await sleep(delayMs);
    const [, kind, id] = url.pathname.split('/');

    if (kind === 'api' && id) {
      const args = await webApiArgs(req, raw, url);
      const call: SlackCall = { method: id, args, at: Date.now() };
      calls.push(call);
      const failure = takeFailure(id);
      if (failure) {
        call.failed = sendFailure(res, failure);
        return;
      }
      return sendJson(res, 200, callMethod(id, args));
    }

    if (kind === 'response' && id && req.method === 'POST') {
      const text = raw.toString('utf8');
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep text
      }
      responses.push({ id, body, at: Date.now() });
      const failure = takeFailure('response_url');
      if (failure) {
        sendFailure(res, failure);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('ok');
      return;
    }

    if (kind === 'upload' && id && req.method === 'POST') {
      const failure = takeFailure('upload');
      if (failure) {
        sendFailure(res, failure);
        return;
      }
      const bytes = await uploadBytes(req, raw);
      uploads.set(id, bytes);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`OK - ${bytes.length}`);
      return;
    }

    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }

  const server = new LocalServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'fatal_error', detail: String(err) });
      else res.destroy();
    });
  });
  await server.start();

  const describeCalls = () =>
    calls
      .slice(-15)
      .map((c) => {
        const hint = c.args.text ?? c.args.ts ?? c.args.usergroup ?? '';
        return `  ${c.method}(${c.args.channel ?? ''}${hint ? ` ${JSON.stringify(String(hint).slice(0, 60))}` : ''})${c.failed ? ` -> ${c.failed}` : ''}`;
      })
      .join('\n') || '  (none)';

  return {
    apiUrl: `${server.url}/api/`,
    responseUrl: (id?: string) => `${server.url}/response/${id ?? `r${++responseCounter}`}`,
    calls,
    responses,
    messages,
    uploads,
    setUserGroup(id, users) {
      userGroups.set(id, [...users]);
    },
    failNext(method, failure, times = 1) {
      failures.push({ method, failure, times });
    },
    callsOf: (method) => calls.filter((c) => c.method === method).map((c) => c.args),
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
              `last Web API calls (${calls.length} in all):\n${describeCalls()}\n` +
              `response_url posts: ${responses.length}; messages: ${messages.size}`,
          );
        }
        await sleep(10);
      }
    },
    setDelay(ms) {
      delayMs = ms;
    },
    reset() {
      calls.length = 0;
      responses.length = 0;
      messages.clear();
      uploads.clear();
      pendingFiles.clear();
      userGroups.clear();
      failures = [];
      delayMs = 0;
    },
    close: () => server.stop(),
  };
}

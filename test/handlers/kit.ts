// Listener tests in the style of slack-samples' bolt-ts-starter-template: each exported listener is called
// directly with a fake `ack`, a fake `respond` and a fake `client` whose Web API methods are vi.fn()s that
// answer like Slack; the HandlerContext is the core on in-memory ports (test/core/kit.ts). Every fake call
// is also written to one ordered log, so a test can say what happened first.
import type { WebClient } from '@slack/web-api';
import { vi, type Mock } from 'vitest';
import { BotMetrics } from '../../src/adapters/metrics.js';
import type { HandlerContext } from '../../handlers/context.js';
import { coreKit, type Kit } from '../core/kit.js';

export const CHANNEL = 'C0ONCALL';
export const OTHER_CHANNEL = 'C0OTHER';

type AsyncMock = Mock<(...args: any[]) => Promise<any>>;

export interface FakeClient {
  chat: { postMessage: AsyncMock; update: AsyncMock; postEphemeral: AsyncMock };
  views: { publish: AsyncMock };
  files: { uploadV2: AsyncMock };
  filesUploadV2: AsyncMock;
}

/** What Slack's Web API throws: an Error with `data.error`, as @slack/web-api's platform errors have. */
export function slackError(error: string): Error {
  return Object.assign(new Error(`An API error occurred: ${error}`), { code: 'slack_webapi_platform_error', data: { ok: false, error } });
}

export interface HandlerKit extends Kit {
  ctx: HandlerContext;
  client: FakeClient;
  /** The Web API client as the listeners type it. */
  web: WebClient;
  /** Every fake call in order: "ack", "respond", "chat.postMessage", … */
  calls: string[];
  /** Writes to the canary route at the moment `ack` was called (undefined before any ack). */
  writesAtAck?: number;
}

export function handlerKit(env: Record<string, string> = {}, options: Partial<Pick<HandlerContext, 'channel' | 'commandChannels' | 'statusInAckMs' | 'renderChart'>> = {}): HandlerKit {
  const kit = coreKit(env);
  const calls: string[] = [];
  let ts = 0;
  const answer = (name: string, result: (args: any) => unknown) =>
    vi.fn(async (args: any) => {
      calls.push(name);
      return result(args);
    });
  const uploadV2 = answer('files.uploadV2', () => ({ ok: true, files: [{ ok: true, files: [{ id: 'F0CHART' }] }] }));
  const client: FakeClient = {
    chat: {
      postMessage: answer('chat.postMessage', (args) => ({ ok: true, channel: args.channel, ts: `1800000000.${String(++ts).padStart(6, '0')}` })),
      update: answer('chat.update', (args) => ({ ok: true, channel: args.channel, ts: args.ts })),
      postEphemeral: answer('chat.postEphemeral', () => ({ ok: true, message_ts: `1800000000.${String(++ts).padStart(6, '0')}` })),
    },
    views: { publish: answer('views.publish', () => ({ ok: true, view: { id: 'V0HOME' } })) },
    files: { uploadV2 },
    filesUploadV2: uploadV2,
  };
  const ctx: HandlerContext = {
    core: kit.deps,
    metrics: new BotMetrics(),
    logger: kit.logger,
    channel: CHANNEL,
    commandChannels: [CHANNEL],
    renderChart: vi.fn(async () => Buffer.from('\x89PNG chart')),
    statusInAckMs: 1000,
    ...options,
  };
  const h = Object.assign(kit, { ctx, client, web: client as unknown as WebClient, calls }) as HandlerKit;
  return h;
}

/** `ack` and `respond` as Bolt gives them to a listener, logged in order. */
function ackAndRespond(h: HandlerKit): { ack: AsyncMock; respond: AsyncMock } {
  const ack = vi.fn(async () => {
    h.calls.push('ack');
    h.writesAtAck ??= h.router.writes.length;
  });
  const respond = vi.fn(async () => {
    h.calls.push('respond');
    return { ok: true };
  });
  return { ack, respond };
}

export interface CommandArgs {
  command: { text: string; user_id: string; channel_id: string; command: string; response_url: string; trigger_id: string; team_id: string };
  ack: AsyncMock;
  respond: AsyncMock;
  say: AsyncMock;
  client: WebClient;
  next: AsyncMock;
}

/** `/mcp-canary <text>` from `user` in `channel`. */
export function commandArgs(h: HandlerKit, text: string, options: { user?: string; channel?: string } = {}): CommandArgs {
  const command = {
    command: '/mcp-canary',
    text,
    user_id: options.user ?? 'U0ALICE',
    channel_id: options.channel ?? CHANNEL,
    response_url: 'https://hooks.slack.test/commands/T0/1/abc',
    trigger_id: 'trigger-1',
    team_id: 'T0',
  };
  return { command, ...ackAndRespond(h), say: vi.fn(async () => undefined), client: h.web, next: vi.fn(async () => undefined) };
}

export interface ClickArgs {
  body: Record<string, any> & { user: { id: string } };
  action: { type: 'button'; action_id: string; value?: string; block_id: string; action_ts: string };
  ack: AsyncMock;
  respond: AsyncMock;
  say: AsyncMock;
  client: WebClient;
  next: AsyncMock;
}

/**
 * A button click: on a message in `channel` (with a response_url), or in the App Home tab (`home`: no
 * channel, no message, no response_url).
 */
export function clickArgs(
  h: HandlerKit,
  actionId: string,
  value: string | undefined,
  options: { user?: string; channel?: string; messageTs?: string; home?: boolean } = {},
): ClickArgs {
  const action = { type: 'button' as const, action_id: actionId, value, block_id: 'actions', action_ts: '1800000000.1' };
  const user = { id: options.user ?? 'U0ALICE', username: 'someone', team_id: 'T0' };
  const messageTs = options.messageTs ?? '1700000000.000100';
  const body = options.home
    ? { type: 'block_actions', user, team: { id: 'T0' }, api_app_id: 'A0', trigger_id: 'trigger-2', container: { type: 'view', view_id: 'V0HOME' }, view: { id: 'V0HOME', type: 'home' }, actions: [action] }
    : {
        type: 'block_actions',
        user,
        team: { id: 'T0' },
        api_app_id: 'A0',
        trigger_id: 'trigger-2',
        channel: { id: options.channel ?? CHANNEL, name: 'oncall-platform' },
        message: { ts: messageTs, text: 'a message' },
        container: { type: 'message', message_ts: messageTs, channel_id: options.channel ?? CHANNEL },
        response_url: 'https://hooks.slack.test/actions/T0/2/def',
        actions: [action],
      };
  return { body, action, ...ackAndRespond(h), say: vi.fn(async () => undefined), client: h.web, next: vi.fn(async () => undefined) };
}

/** Calls a listener the way Bolt does; `ackedAtOnce` says whether ack had been called before its first await returned. */
export async function run<A>(listener: (args: never) => Promise<void>, args: A & { ack: AsyncMock }): Promise<{ ackedAtOnce: boolean }> {
  const pending = listener(args as never);
  const ackedAtOnce = args.ack.mock.calls.length === 1;
  await pending;
  return { ackedAtOnce };
}

/** The n-th argument object a mock was called with. */
export function arg<T = any>(mock: AsyncMock, call = 0): T {
  return mock.mock.calls[call]?.[0] as T;
}

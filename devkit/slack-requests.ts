// Signed requests, shaped like Slack's, for driving the app over HTTP at POST /slack/events (the tests, the bench;
// the local Slack signs what its people do with signSlackRequest).
// Signature scheme (v0): hex HMAC-SHA256(signingSecret, `v0:${timestamp}:${rawBody}`).
import { createHmac, randomBytes } from 'node:crypto';

/* eslint-disable @typescript-eslint/no-explicit-any */

const TEAM_ID = 'T0001';
const TEAM_DOMAIN = 'example';
const API_APP_ID = 'A0001';
// The deprecated verification token Slack still sends in bodies; Bolt ignores it.
const VERIFICATION_TOKEN = 'verification-token';
const CHANNEL_NAMES: Record<string, string> = { C_ONCALL: 'oncall-platform' };

const contentTypeFor = (rawBody: string) =>
  rawBody.trimStart().startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded';

export function signSlackRequest(signingSecret: string, rawBody: string, timestampSec = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${rawBody}`).digest('hex');
  return {
    'x-slack-signature': `v0=${signature}`,
    'x-slack-request-timestamp': String(timestampSec),
    'content-type': contentTypeFor(rawBody),
  };
}

/** 'U_ALICE' -> 'alice': readable default user names in messages. */
const nameOf = (userId: string) => userId.replace(/^U_?/, '').toLowerCase() || 'user';
const triggerId = () => `${Date.now()}.${Math.floor(Math.random() * 1e9)}.${randomBytes(16).toString('hex')}`;

export interface SlashCommandOptions {
  text: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  responseUrl: string;
  command?: string;
  triggerId?: string;
}

/** The urlencoded body Slack POSTs for a slash command (same fields, same order). */
export function slashCommandBody(o: SlashCommandOptions): string {
  const userId = o.userId ?? 'U_ALICE';
  const channelId = o.channelId ?? 'C_ONCALL';
  return new URLSearchParams({
    token: VERIFICATION_TOKEN,
    team_id: TEAM_ID,
    team_domain: TEAM_DOMAIN,
    channel_id: channelId,
    channel_name: CHANNEL_NAMES[channelId] ?? 'channel',
    user_id: userId,
    user_name: o.userName ?? nameOf(userId),
    command: o.command ?? '/mcp-canary',
    text: o.text,
    api_app_id: API_APP_ID,
    is_enterprise_install: 'false',
    response_url: o.responseUrl,
    trigger_id: o.triggerId ?? triggerId(),
  }).toString();
}

export interface BlockActionOptions {
  actionId: string;
  value?: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  messageTs: string;
  responseUrl: string;
  blockId?: string;
  /** The blocks of the message the button is on, or a partial message object. */
  message?: any[] | Record<string, any>;
}

/** The block_actions payload object Slack sends when a button is clicked. */
export function blockActionPayload(o: BlockActionOptions): Record<string, any> {
  const userId = o.userId ?? 'U_ALICE';
  const channelId = o.channelId ?? 'C_ONCALL';
  const userName = o.userName ?? nameOf(userId);
  const messageExtra = Array.isArray(o.message) ? { blocks: o.message } : (o.message ?? {});
  const actionTs = (Date.now() / 1000).toFixed(6);
  return {
    type: 'block_actions',
    user: { id: userId, username: userName, name: userName, team_id: TEAM_ID },
    api_app_id: API_APP_ID,
    token: VERIFICATION_TOKEN,
    container: { type: 'message', message_ts: o.messageTs, channel_id: channelId, is_ephemeral: false },
    trigger_id: triggerId(),
    team: { id: TEAM_ID, domain: TEAM_DOMAIN },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channelId, name: CHANNEL_NAMES[channelId] ?? 'channel' },
    message: { type: 'message', user: 'UBOT', bot_id: 'BBOT', ts: o.messageTs, text: '', blocks: [], team: TEAM_ID, ...messageExtra },
    state: { values: {} },
    response_url: o.responseUrl,
    actions: [
      {
        action_id: o.actionId,
        block_id: o.blockId ?? 'actions',
        ...(o.value !== undefined ? { value: o.value } : {}),
        type: 'button',
        action_ts: actionTs,
        text: { type: 'plain_text', text: 'x', emoji: true },
      },
    ],
  };
}

/** urlencoded `payload=<JSON>`, as Slack POSTs interactivity requests. */
export function blockActionBody(o: BlockActionOptions): string {
  return new URLSearchParams({ payload: JSON.stringify(blockActionPayload(o)) }).toString();
}

/** An Events API `event_callback` JSON body (e.g. app_home_opened). */
export function eventCallbackBody(event: Record<string, any>): string {
  return JSON.stringify({
    token: VERIFICATION_TOKEN,
    team_id: TEAM_ID,
    api_app_id: API_APP_ID,
    event: { event_ts: (Date.now() / 1000).toFixed(6), ...event },
    type: 'event_callback',
    event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: TEAM_ID, user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}

export interface PostSignedOptions {
  signingSecret: string;
  /** Defaults from the body: JSON for '{...}', else form-urlencoded. */
  contentType?: string;
  /** Unix seconds to sign with (e.g. 10 minutes ago for a stale request). */
  timestamp?: number;
  /** Sign with the wrong secret. */
  badSignature?: boolean;
  headers?: Record<string, string>;
}

export interface PostSignedResult {
  status: number;
  text: string;
  json?: any;
}

/** POSTs a signed body to `${baseUrl}/slack/events`. */
export async function postSigned(baseUrl: string, rawBody: string, o: PostSignedOptions): Promise<PostSignedResult> {
  const secret = o.badSignature ? `${o.signingSecret}-wrong` : o.signingSecret;
  const headers = signSlackRequest(secret, rawBody, o.timestamp);
  if (o.contentType) headers['content-type'] = o.contentType;
  const res = await fetch(`${baseUrl.replace(/\/$/, '')}/slack/events`, {
    method: 'POST',
    headers: { ...headers, ...o.headers },
    body: rawBody,
  });
  const text = await res.text();
  const out: PostSignedResult = { status: res.status, text };
  try {
    out.json = JSON.parse(text);
  } catch {
    // not JSON (Bolt often acks with an empty body)
  }
  return out;
}

// Proves the test fakes behave like the real servers where the bot depends on them,
// using the same client libraries the bot uses.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { App, isValidSlackRequest } from '@slack/bolt';
import { Redis } from 'ioredis';
import { startFakeKubeApi } from './fake-kube-api.js';
import type { FakeKubeApi } from './fake-kube-api.js';
import { startFakeSlackApi } from './fake-slack-api.js';
import type { FakeSlackApi } from './fake-slack-api.js';
import { startFakeAlertmanager, startFakePrometheus } from './fake-prometheus.js';
import type { FakeAlertmanager, FakePrometheus } from './fake-prometheus.js';
import { startRedisServer } from './redis-server.js';
import type { RedisServerHandle } from './redis-server.js';
import { blockActionBody, eventCallbackBody, postSigned, signSlackRequest, slashCommandBody } from './slack-requests.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
// Copies of /work/shared/fixtures (captured from real Prometheus 2.42 / Alertmanager 0.25).
const FIXTURES = join(import.meta.dirname, 'fixtures');

const NS = 'stoa-system';
const CANARY = 'mcp-gateway-canary';
const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const strategicPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
const jsonPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

async function apiError(p: Promise<unknown>): Promise<k8s.ApiException<unknown>> {
  try {
    await p;
  } catch (err) {
    if (err instanceof k8s.ApiException) return err;
    throw err;
  }
  throw new Error('expected an ApiException');
}

describe('fake kube API with @kubernetes/client-node', () => {
  let fake: FakeKubeApi;
  let net: k8s.NetworkingV1Api;
  let apps: k8s.AppsV1Api;

  beforeAll(async () => {
    fake = await startFakeKubeApi({ canaryWeight: '5', extraCanaryAnnotations: { 'example.com/owner': 'platform' } });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(fake.kubeconfigPath);
    net = kc.makeApiClient(k8s.NetworkingV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it('reads the seeded canary ingress', async () => {
    const ing = await net.readNamespacedIngress({ name: CANARY, namespace: NS });
    expect(ing.metadata?.annotations?.[WEIGHT]).toBe('5');
    expect(ing.metadata?.annotations?.['nginx.ingress.kubernetes.io/canary']).toBe('true');
    expect(ing.metadata?.annotations?.['example.com/owner']).toBe('platform');
    expect(ing.spec?.rules?.[0]?.host).toBe('mcp.gostoa.dev');
    expect(ing.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name).toBe('mcp-gateway-rust');
    expect(ing.metadata?.resourceVersion).toMatch(/^\d+$/);
    const req = fake.requests.at(-1)!;
    expect(req).toMatchObject({ method: 'GET', path: fake.paths.canaryIngress, authorization: 'Bearer fake-kube-token' });
  });

  it('client-node refuses an http:// server unless the kubeconfig says insecure-skip-tls-verify', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: fake.url, skipTLSVerify: false }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    await expect(kc.makeApiClient(k8s.NetworkingV1Api).readNamespacedIngress({ name: CANARY, namespace: NS })).rejects.toThrow(
      /HTTP protocol is not allowed/,
    );
  });

  it('merge-patches an annotation, null removes one, resourceVersion moves on', async () => {
    const before = fake.get(fake.paths.canaryIngress).metadata.resourceVersion as string;
    const out = await net.patchNamespacedIngress(
      { name: CANARY, namespace: NS, body: { metadata: { annotations: { [WEIGHT]: '10', 'example.com/owner': null } } } },
      mergePatch,
    );
    expect(out.metadata?.annotations?.[WEIGHT]).toBe('10');
    expect(out.metadata?.annotations).not.toHaveProperty('example.com/owner');
    expect(Number(out.metadata?.resourceVersion)).toBeGreaterThan(Number(before));
    expect(fake.get(fake.paths.canaryIngress).metadata.annotations[WEIGHT]).toBe('10');
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PATCH', contentType: 'application/merge-patch+json' });
    // Annotations only: the ingress spec did not change, so neither did its generation.
    expect(out.metadata?.generation).toBe(1);
  });

  it('a stale resourceVersion in a merge patch is a 409 Conflict', async () => {
    const seen = await net.readNamespacedIngress({ name: CANARY, namespace: NS });
    // Someone else writes in between: our resourceVersion is now stale.
    await net.patchNamespacedIngress({ name: CANARY, namespace: NS, body: { metadata: { labels: { touched: 'yes' } } } }, mergePatch);
    const err = await apiError(
      net.patchNamespacedIngress(
        { name: CANARY, namespace: NS, body: { metadata: { resourceVersion: seen.metadata?.resourceVersion, annotations: { [WEIGHT]: '50' } } } },
        mergePatch,
      ),
    );
    expect(err.code).toBe(409);
    const status = JSON.parse(String(err.body));
    expect(status).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    expect(status.message).toContain('the object has been modified');
    expect(fake.get(fake.paths.canaryIngress).metadata.annotations[WEIGHT]).toBe('5');

    // With the current resourceVersion the same precondition passes.
    const rv = fake.get(fake.paths.canaryIngress).metadata.resourceVersion as string;
    const ok = await net.patchNamespacedIngress(
      { name: CANARY, namespace: NS, body: { metadata: { resourceVersion: rv, annotations: { [WEIGHT]: '50' } } } },
      mergePatch,
    );
    expect(ok.metadata?.annotations?.[WEIGHT]).toBe('50');
  });

  it('rejects non-string annotation values with 400, like the real API', async () => {
    const err = await apiError(
      net.patchNamespacedIngress({ name: CANARY, namespace: NS, body: { metadata: { annotations: { [WEIGHT]: 20 } } } }, mergePatch),
    );
    expect(err.code).toBe(400);
    expect(fake.get(fake.paths.canaryIngress).metadata.annotations[WEIGHT]).toBe('5');
  });

  it('failNext answers a Status error once, and records the request', async () => {
    fake.failNext({ method: 'PATCH', pathIncludes: '/ingresses/' }, 500);
    const err = await apiError(net.patchNamespacedIngress({ name: CANARY, namespace: NS, body: { metadata: { annotations: { [WEIGHT]: '0' } } } }, mergePatch));
    expect(err.code).toBe(500);
    expect(JSON.parse(String(err.body))).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'InternalError', code: 500 });
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    // Only once: the retry goes through.
    const ok = await net.patchNamespacedIngress({ name: CANARY, namespace: NS, body: { metadata: { annotations: { [WEIGHT]: '0' } } } }, mergePatch);
    expect(ok.metadata?.annotations?.[WEIGHT]).toBe('0');
  });

  it('delete answers a Status, then read is a 404 NotFound', async () => {
    const status = await net.deleteNamespacedIngress({ name: CANARY, namespace: NS });
    expect(status).toMatchObject({ kind: 'Status', status: 'Success' });
    const err = await apiError(net.readNamespacedIngress({ name: CANARY, namespace: NS }));
    expect(err.code).toBe(404);
    expect(JSON.parse(String(err.body))).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'ingresses.networking.k8s.io "mcp-gateway-canary" not found',
      reason: 'NotFound',
      details: { name: CANARY, group: 'networking.k8s.io', kind: 'ingresses' },
      code: 404,
    });
    expect((await apiError(net.deleteNamespacedIngress({ name: CANARY, namespace: NS }))).code).toBe(404);
  });

  it('create answers 201 and then 409 AlreadyExists', async () => {
    await net.deleteNamespacedIngress({ name: CANARY, namespace: NS });
    const body: k8s.V1Ingress = {
      metadata: { name: CANARY, annotations: { 'nginx.ingress.kubernetes.io/canary': 'true', [WEIGHT]: '0' } },
      spec: { rules: [{ host: 'mcp.gostoa.dev' }] },
    };
    const created = await net.createNamespacedIngress({ namespace: NS, body });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.namespace).toBe(NS);
    const err = await apiError(net.createNamespacedIngress({ namespace: NS, body }));
    expect(err.code).toBe(409);
    expect(JSON.parse(String(err.body)).reason).toBe('AlreadyExists');
  });

  it('replace with a stale resourceVersion is a 409, with the current one it succeeds', async () => {
    const ing = await net.readNamespacedIngress({ name: CANARY, namespace: NS });
    await net.patchNamespacedIngress({ name: CANARY, namespace: NS, body: { metadata: { annotations: { [WEIGHT]: '1' } } } }, mergePatch);
    ing.metadata!.annotations![WEIGHT] = '25';
    expect((await apiError(net.replaceNamespacedIngress({ name: CANARY, namespace: NS, body: ing }))).code).toBe(409);
    const fresh = await net.readNamespacedIngress({ name: CANARY, namespace: NS });
    fresh.metadata!.annotations![WEIGHT] = '25';
    const out = await net.replaceNamespacedIngress({ name: CANARY, namespace: NS, body: fresh });
    expect(out.metadata?.annotations?.[WEIGHT]).toBe('25');
  });

  it('strategic merge patch of one env var keeps the other env var and the sidecar', async () => {
    const before = await apps.readNamespacedDeployment({ name: 'mcp-gateway-python', namespace: NS });
    const out = await apps.patchNamespacedDeployment(
      {
        name: 'mcp-gateway-python',
        namespace: NS,
        body: { spec: { template: { spec: { containers: [{ name: 'gateway', env: [{ name: 'SHADOW_MODE_ENABLED', value: 'true' }] }] } } } },
      },
      strategicPatch,
    );
    const containers = out.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(['gateway', 'sidecar']);
    expect(containers[0]?.env).toEqual([
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'SHADOW_MODE_ENABLED', value: 'true' },
    ]);
    expect(containers[0]?.image).toBe(before.spec?.template.spec?.containers[0]?.image);
    // A template change is a new generation; the fake controller then catches up.
    expect(out.metadata?.generation).toBe((before.metadata?.generation ?? 0) + 1);
    await expect.poll(() => fake.get(fake.paths.pythonDeployment).status.observedGeneration).toBe(out.metadata?.generation);

    // $patch: delete removes one entry, again keeping the rest.
    const del = await apps.patchNamespacedDeployment(
      {
        name: 'mcp-gateway-python',
        namespace: NS,
        body: { spec: { template: { spec: { containers: [{ name: 'gateway', env: [{ name: 'SHADOW_MODE_ENABLED', $patch: 'delete' }] }] } } } },
      },
      strategicPatch,
    );
    expect(del.spec?.template.spec?.containers[0]?.env).toEqual([{ name: 'LOG_LEVEL', value: 'info' }]);
    expect(del.spec?.template.spec?.containers).toHaveLength(2);
  });

  it('a JSON merge patch replaces whole lists (why the bot must use strategic merge for env)', async () => {
    const out = await apps.patchNamespacedDeployment(
      {
        name: 'mcp-gateway-python',
        namespace: NS,
        body: { spec: { template: { spec: { containers: [{ name: 'gateway', image: 'x', env: [{ name: 'A', value: 'b' }] }] } } } },
        dryRun: 'All',
      },
      mergePatch,
    );
    expect(out.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['gateway']);
  });

  it('JSON patch (RFC 6902) with test and replace', async () => {
    const ptr = '/metadata/annotations/' + WEIGHT.replace(/~/g, '~0').replace(/\//g, '~1');
    const out = await net.patchNamespacedIngress(
      { name: CANARY, namespace: NS, body: [{ op: 'test', path: ptr, value: '5' }, { op: 'replace', path: ptr, value: '10' }] },
      jsonPatch,
    );
    expect(out.metadata?.annotations?.[WEIGHT]).toBe('10');
    const err = await apiError(net.patchNamespacedIngress({ name: CANARY, namespace: NS, body: [{ op: 'test', path: ptr, value: '5' }] }, jsonPatch));
    expect(err.code).toBe(422);
  });

  it('dryRun=All answers as if applied but does not persist', async () => {
    const rv = fake.get(fake.paths.canaryIngress).metadata.resourceVersion as string;
    const out = await net.patchNamespacedIngress(
      { name: CANARY, namespace: NS, body: { metadata: { annotations: { [WEIGHT]: '100' } } }, dryRun: 'All' },
      mergePatch,
    );
    expect(out.metadata?.annotations?.[WEIGHT]).toBe('100');
    expect(fake.get(fake.paths.canaryIngress).metadata.annotations[WEIGHT]).toBe('5');
    expect(fake.get(fake.paths.canaryIngress).metadata.resourceVersion).toBe(rv);
    expect(fake.requests.at(-1)?.query).toEqual({ dryRun: 'All' });

    await net.deleteNamespacedIngress({ name: CANARY, namespace: NS, dryRun: 'All' });
    expect(fake.get(fake.paths.canaryIngress)).toBeDefined();
  });

  it('reads deployment readiness and /version', async () => {
    const rust = await apps.readNamespacedDeployment({ name: 'mcp-gateway-rust', namespace: NS });
    expect(rust.spec?.replicas).toBe(3);
    expect(rust.status).toMatchObject({ readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3, observedGeneration: rust.metadata?.generation });
    const res = await fetch(`${fake.url}/version`);
    expect(await res.json()).toMatchObject({ major: '1', minor: '31', gitVersion: 'v1.31.0' });
  });
});

describe('real redis-server', () => {
  let redis: RedisServerHandle;
  let client: Redis | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    client?.disconnect();
    await redis.stop();
  });

  it('serves ioredis, stops (clients fail) and restarts on the same port (empty: no persistence)', async () => {
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    // No offline queue: while Redis is down, commands fail at once (what the bot must survive).
    client = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 50 });
    client.on('error', () => {}); // connection errors while down are expected
    await expect.poll(() => client!.status).toBe('ready');
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');

    await redis.stop();
    await expect(client.get('k')).rejects.toThrow();

    await redis.restart();
    await expect.poll(() => client!.status, { timeout: 5_000 }).toBe('ready');
    expect(await client.get('k')).toBeNull();
    await client.set('k', 'again');
    expect(await client.get('k')).toBe('again');
  });
});

describe('fake Slack Web API with @slack/web-api', () => {
  let slack: FakeSlackApi;
  let web: WebClient;
  beforeAll(async () => {
    slack = await startFakeSlackApi();
    web = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
  });
  afterEach(() => slack.reset());
  afterAll(() => slack.close());

  it('auth.test answers the bot identity and records the bearer token', async () => {
    const res = await web.auth.test();
    expect(res).toMatchObject({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0001' });
    expect(slack.callsOf('auth.test')[0]?.token).toBe('xoxb-test');
  });

  it('postMessage with blocks (form-encoded JSON parsed back), then update keeps history', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Approval* requested' } }];
    const posted = await web.chat.postMessage({ channel: 'C_ONCALL', text: 'Approval requested', blocks });
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(slack.callsOf('chat.postMessage')[0]?.blocks).toEqual(blocks);
    const second = await web.chat.postMessage({ channel: 'C_ONCALL', text: 'reply', thread_ts: posted.ts! });
    expect(second.ts! > posted.ts!).toBe(true);
    expect(slack.messages.get(second.ts!)?.thread_ts).toBe(posted.ts);

    const newBlocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'Approved by <@U_BOB>' } }];
    const upd = await web.chat.update({ channel: 'C_ONCALL', ts: posted.ts!, text: 'Approved', blocks: newBlocks });
    expect(upd).toMatchObject({ ok: true, channel: 'C_ONCALL', ts: posted.ts });
    const msg = slack.messages.get(posted.ts!)!;
    expect(msg).toMatchObject({ text: 'Approved', blocks: newBlocks });
    expect(msg.history).toEqual([{ text: 'Approval requested', blocks, at: expect.any(Number) }]);

    await expect(web.chat.update({ channel: 'C_ONCALL', ts: '1.2', text: 'x' })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
  });

  it('failNext 429 makes a client with rejectRateLimitedCalls reject; a platform error rejects too', async () => {
    const strict = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    await expect(strict.chat.postMessage({ channel: 'C_ONCALL', text: 'x' })).rejects.toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 7 });
    slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    await expect(web.chat.postMessage({ channel: 'C_ONCALL', text: 'x' })).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'channel_not_found' } });
    slack.failNext('chat.postMessage', { status: 503 });
    await expect(web.chat.postMessage({ channel: 'C_ONCALL', text: 'x' })).rejects.toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
    // All failures used up: the next call succeeds; every attempt was recorded.
    await web.chat.postMessage({ channel: 'C_ONCALL', text: 'ok now' });
    expect(slack.calls.map((c) => c.failed)).toEqual(['HTTP 429', 'channel_not_found', 'HTTP 503', undefined]);
    expect(slack.messages.size).toBe(1);
  });

  it('user groups, views.publish, conversations.info', async () => {
    slack.setUserGroup('S_APPROVERS', ['U_BOB', 'U_CAROL']);
    expect((await web.usergroups.users.list({ usergroup: 'S_APPROVERS' })).users).toEqual(['U_BOB', 'U_CAROL']);
    await expect(web.usergroups.users.list({ usergroup: 'S_NOPE' })).rejects.toMatchObject({ data: { error: 'no_such_subteam' } });
    const view = { type: 'home' as const, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }] };
    expect((await web.views.publish({ user_id: 'U_ALICE', view })).view?.id).toBe('V1');
    expect(slack.callsOf('views.publish')[0]?.view).toEqual(view);
    expect((await web.conversations.info({ channel: 'C_ONCALL' })).channel).toMatchObject({ id: 'C_ONCALL', name: 'oncall-platform' });
  });

  it('filesUploadV2 goes through getUploadURLExternal, the upload URL and completeUploadExternal', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);
    await web.filesUploadV2({ channel_id: 'C_ONCALL', file: png, filename: 'chart.png', initial_comment: 'chart' });
    const [id, bytes] = [...slack.uploads.entries()][0]!;
    expect(id).toMatch(/^F\d+$/);
    expect(bytes).toEqual(png);
    expect(slack.callsOf('files.completeUploadExternal')[0]).toMatchObject({ channel_id: 'C_ONCALL', files: [{ id }] });
  });

  it('response_url posts are recorded; waitFor polls and explains timeouts', async () => {
    const url = slack.responseUrl('abc');
    expect(url).toBe(`${slack.apiUrl.replace(/\/api\/$/, '')}/response/abc`);
    setTimeout(() => void fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'done', replace_original: true }) }), 30);
    const r = await slack.waitFor(() => slack.responses.find((x) => x.id === 'abc'));
    expect(r.body).toEqual({ text: 'done', replace_original: true });
    await expect(slack.waitFor(() => slack.callsOf('chat.postMessage').length > 0, 50)).rejects.toThrow(/not met within 50 ms/);
  });
});

describe('signed Slack requests', () => {
  it('signs like Slack (Bolt verifies the signature) and builds realistic bodies', async () => {
    const body = slashCommandBody({ text: 'weight 10', responseUrl: 'http://x/response/1' });
    const headers = signSlackRequest('secret', body, 1_700_000_000);
    expect(headers['x-slack-signature']).toBe(`v0=${createHmac('sha256', 'secret').update(`v0:1700000000:${body}`).digest('hex')}`);
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    const now = Math.floor(Date.now() / 1000);
    const fresh = signSlackRequest('secret', body, now);
    expect(
      isValidSlackRequest({ signingSecret: 'secret', body, headers: { 'x-slack-signature': fresh['x-slack-signature']!, 'x-slack-request-timestamp': now } }),
    ).toBe(true);

    const params = new URLSearchParams(body);
    expect(Object.fromEntries(params)).toMatchObject({ command: '/mcp-canary', text: 'weight 10', user_id: 'U_ALICE', user_name: 'alice', channel_id: 'C_ONCALL' });

    const action = new URLSearchParams(blockActionBody({ actionId: 'approve', value: 'req-1', userId: 'U_BOB', messageTs: '1700000000.000100', responseUrl: 'http://x/r' }));
    const payload = JSON.parse(action.get('payload')!);
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U_BOB', username: 'bob' },
      container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C_ONCALL', is_ephemeral: false },
      actions: [{ action_id: 'approve', value: 'req-1', type: 'button' }],
    });
  });

  it('postSigned posts to /slack/events with valid, bad and stale signatures', async () => {
    const seen: Array<{ valid: boolean; type: string | undefined }> = [];
    const srv = createHttpServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      const valid = isValidSlackRequest({
        signingSecret: 's3cret',
        body,
        headers: {
          'x-slack-signature': String(req.headers['x-slack-signature']),
          'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']),
        },
      });
      seen.push({ valid, type: req.headers['content-type'] });
      res.writeHead(valid && req.url === '/slack/events' ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ valid }));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const body = slashCommandBody({ text: 'status', responseUrl: 'http://x/r' });
      expect(await postSigned(base, body, { signingSecret: 's3cret' })).toMatchObject({ status: 200, json: { valid: true } });
      expect((await postSigned(base, body, { signingSecret: 's3cret', badSignature: true })).status).toBe(401);
      const stale = Math.floor(Date.now() / 1000) - 600;
      expect((await postSigned(base, body, { signingSecret: 's3cret', timestamp: stale })).status).toBe(401);
      expect((await postSigned(base, eventCallbackBody({ type: 'app_home_opened', user: 'U_ALICE', tab: 'home' }), { signingSecret: 's3cret' })).status).toBe(200);
      expect(seen.map((s) => s.type)).toEqual([
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded',
        'application/json',
      ]);
    } finally {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  });
});

describe('Bolt over HTTP against the fakes (signed requests in, Web API and response_url out)', () => {
  it('a slash command and a button click round-trip', async () => {
    const slack = await startFakeSlackApi();
    const app = new App({
      signingSecret: 'bolt-secret',
      token: 'xoxb-test',
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
      logLevel: LogLevel.ERROR,
    });
    app.command('/mcp-canary', async ({ ack, respond, client, command }) => {
      await ack();
      await respond({ text: `you said ${command.text}` });
      await client.chat.postMessage({ channel: command.channel_id, text: 'approval requested' });
    });
    app.action('approve', async ({ ack, respond, body }) => {
      await ack();
      await respond({ replace_original: true, text: `approved by ${body.user.id}` });
    });
    const server = (await app.start({ port: 0, host: '127.0.0.1' })) as import('node:http').Server;
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const cmd = await postSigned(base, slashCommandBody({ text: 'status', responseUrl: slack.responseUrl('cmd') }), { signingSecret: 'bolt-secret' });
      expect(cmd.status).toBe(200);
      const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === 'cmd'));
      expect(reply.body).toMatchObject({ text: 'you said status' });
      const posted = await slack.waitFor(() => slack.callsOf('chat.postMessage')[0]);
      expect(posted).toMatchObject({ channel: 'C_ONCALL', text: 'approval requested', token: 'xoxb-test' });

      const ts = [...slack.messages.keys()][0]!;
      const click = blockActionBody({ actionId: 'approve', value: 'x', userId: 'U_BOB', messageTs: ts, responseUrl: slack.responseUrl('click') });
      expect((await postSigned(base, click, { signingSecret: 'bolt-secret' })).status).toBe(200);
      expect((await slack.waitFor(() => slack.responses.find((r) => r.id === 'click'))).body).toMatchObject({ text: 'approved by U_BOB', replace_original: true });

      // Bad or stale signature: 401 and the listener never runs.
      const before = slack.calls.length;
      expect((await postSigned(base, slashCommandBody({ text: 'x', responseUrl: slack.responseUrl() }), { signingSecret: 'bolt-secret', badSignature: true })).status).toBe(401);
      const stale = Math.floor(Date.now() / 1000) - 600;
      expect((await postSigned(base, slashCommandBody({ text: 'x', responseUrl: slack.responseUrl() }), { signingSecret: 'bolt-secret', timestamp: stale })).status).toBe(401);
      expect(slack.calls.length).toBe(before);
    } finally {
      await app.stop();
      await slack.close();
    }
  });
});

describe('fake Prometheus and Alertmanager', () => {
  let prom: FakePrometheus;
  let am: FakeAlertmanager;
  beforeAll(async () => {
    prom = await startFakePrometheus();
    am = await startFakeAlertmanager();
  });
  afterEach(() => {
    prom.reset();
    am.reset();
  });
  afterAll(async () => {
    await prom.close();
    await am.close();
  });

  const query = async (q: string, method: 'GET' | 'POST' = 'GET') => {
    const res =
      method === 'GET'
        ? await fetch(`${prom.url}/api/v1/query?${new URLSearchParams({ query: q })}`)
        : await fetch(`${prom.url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: q }) });
    return { status: res.status, json: (await res.json()) as any };
  };

  it('answers the same envelopes as the real server (fixtures)', async () => {
    prom.set('mcp:rust_gateway_error_rate:5m', 0.0004);
    const vec = await query('mcp:rust_gateway_error_rate:5m');
    expect(vec.status).toBe(200);
    const fixture = await fixtureJson('prometheus-query-vector.json');
    expect(vec.json.data.result[0].value[1]).toBe(fixture.data.result[0].value[1]); // "0.0004", a string
    expect(vec.json.data.result[0].metric.__name__).toBe('mcp:rust_gateway_error_rate:5m');
    expect(typeof vec.json.data.result[0].value[0]).toBe('number');
    expect(Object.keys(vec.json)).toEqual(Object.keys(fixture));

    prom.set('histogram_quantile(0.99, x)', 'NaN');
    expect((await query('histogram_quantile(0.99,  x)', 'POST')).json.data.result[0].value[1]).toBe('NaN');

    expect((await query('nothing_here')).json).toEqual(await fixtureJson('prometheus-query-empty.json'));

    prom.set('sum(', { httpStatus: 400, error: 'invalid parameter "query": 1:5: parse error: unclosed left parenthesis' });
    const bad = await query('sum(');
    expect(bad).toEqual({ status: 400, json: await fixtureJson('prometheus-query-bad.json') });

    prom.set('tiny', 1e-7);
    expect((await query('tiny')).json.data.result[0].value[1]).toBe('0.0000001');
    expect(prom.requests.map((r) => r.query.query)).toContain('sum(');
  });

  it('query_range answers a matrix; setDown refuses connections until it is up again', async () => {
    prom.setRange('mcp:rust_gateway_error_rate:5m', [
      [1700000000, '0.0001'],
      [1700000060, '0.0002'],
    ]);
    const r = await fetch(`${prom.url}/api/v1/query_range?query=mcp:rust_gateway_error_rate:5m&start=1&end=2&step=60`);
    expect(((await r.json()) as any).data).toEqual({
      resultType: 'matrix',
      result: [{ metric: { __name__: 'mcp:rust_gateway_error_rate:5m' }, values: [[1700000000, '0.0001'], [1700000060, '0.0002']] }],
    });
    const empty = await fetch(`${prom.url}/api/v1/query_range?query=other&start=1&end=2&step=60`);
    expect(await empty.json()).toEqual(await fixtureJson('prometheus-query-range.json'));

    const url = prom.url;
    await prom.setDown(true);
    await expect(fetch(`${url}/api/v1/query?query=up`)).rejects.toThrow();
    await prom.setDown(false);
    expect(prom.url).toBe(url);
    expect((await fetch(`${url}/api/v1/query?query=up`)).status).toBe(200);
  });

  it('alertmanager: v2 alerts with filters and silences', async () => {
    const fixture = await fixtureJson('alertmanager-alerts-v2.json');
    am.setAlerts([...fixture, { labels: { alertname: 'MCPRustGatewayLatencyHigh', severity: 'warning' } }]);
    const get = async (qs = '') => (await (await fetch(`${am.url}/api/v2/alerts${qs}`)).json()) as any[];

    const all = await get();
    expect(all).toHaveLength(2);
    expect(all[0]).toEqual(fixture[0]);
    expect(Object.keys(all[1])).toEqual(Object.keys(fixture[0]));
    expect((await get('?filter=' + encodeURIComponent('severity="critical"'))).map((a) => a.labels.alertname)).toEqual(['MCPRustGatewayErrorRateHigh']);
    expect(await get('?filter=' + encodeURIComponent('alertname=~"MCPRust.*"') + '&filter=' + encodeURIComponent('severity!="critical"'))).toHaveLength(1);

    const silence = await fetch(`${am.url}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'alertname', value: 'MCPRustGatewayLatencyHigh', isRegex: false, isEqual: true }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3600_000).toISOString(),
        createdBy: 'mcp-canary',
        comment: 'ramp paused',
      }),
    });
    const { silenceID } = (await silence.json()) as { silenceID: string };
    expect(am.silences.map((s) => s.id)).toEqual([silenceID]);
    const silenced = (await get()).find((a) => a.labels.alertname === 'MCPRustGatewayLatencyHigh');
    expect(silenced.status).toEqual({ inhibitedBy: [], silencedBy: [silenceID], state: 'suppressed' });
    expect((await get('?silenced=false')).map((a) => a.labels.alertname)).toEqual(['MCPRustGatewayErrorRateHigh']);
    expect(await get('?active=false')).toHaveLength(1);

    expect(((await (await fetch(`${am.url}/api/v2/status`)).json()) as any).cluster.status).toBe('ready');
    await am.setDown(true);
    await expect(fetch(`${am.url}/api/v2/alerts`)).rejects.toThrow();
    await am.setDown(false);
  });
});

async function fixtureJson(name: string): Promise<any> {
  return JSON.parse(await readFile(join(FIXTURES, name), 'utf8'));
}

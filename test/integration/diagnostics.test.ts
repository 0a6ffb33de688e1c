// `/mcp-canary diagnose [traffic|shadow|mismatches]` and the Diagnose button of shadow alerts, through the running
// bot and @kubernetes/client-node against the local API server: the "running" acknowledgement, the findings in
// a thread (each pass/fail with its evidence and next action), per-check time limits, a 403 as a finding, and
// not one write to the cluster.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config.js';
import { buttonsOf, CHANNEL, startHarness, textOf, USERS, type Harness, type HarnessOptions } from '../support/bot-harness.js';
import type { SlackMessage } from '../support/fake-slack-api.js';
import { expectOnlySafeTokens, expectWithinLimits } from '../views/fixtures.js';

const SHADOW = readConfig({}).shadow;
const TOKEN = 'am-webhook-token-0123456789';
const firing = JSON.parse(readFileSync(new URL('../support/fixtures/alertmanager-webhook-firing.json', import.meta.url), 'utf8'));

const TITLE = {
  route: 'The canary route exists and matches the primary',
  endpoints: 'The Rust Service has ready endpoints',
  health: 'Rust health answers through the API server',
  events: 'No recent Warning event on the route, the Rust deployment or its pods',
  weight: 'The live weight is what the bot last applied',
  shadowEnv: 'Shadow mode is on in the Python deployment',
  rollout: 'The Python deployment finished rolling out',
  errorRate: 'Shadow error rate under its threshold',
  timeoutRate: 'Shadow timeout rate under its threshold',
  podLogs: "The Python pods' logs can be read",
  mismatches: 'No shadow mismatch in the Python logs',
  routeWrite: 'The bot may write the canary route (rollback)',
};

/** The one POST a diagnosis makes: asking the API server what the bot may do, which stores nothing. */
const ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

/** Requests that could change the cluster: every non-GET except the access reviews' POSTs, and any dry run. */
function writesOf(requests: Harness['kube']['requests']): Harness['kube']['requests'] {
  return requests.filter((r) => (r.method !== 'GET' && !(r.method === 'POST' && r.path === ACCESS_REVIEWS)) || r.query.dryRun !== undefined);
}

let h: Harness;

afterEach(async () => {
  await h?.close();
});

function harness(options: HarnessOptions = {}): Promise<Harness> {
  return startHarness({ ...options, env: { ALERT_WEBHOOK_TOKEN: TOKEN, ...options.env } });
}

interface Run {
  ack: any;
  ackMs: number;
  head: SlackMessage;
  thread: SlackMessage[];
  /** Kubernetes requests made while the diagnosis ran. */
  requests: Harness['kube']['requests'];
  /** The text of the finding whose title this is (mark first), or undefined. */
  finding(title: string): string | undefined;
}

/** The sections of the thread: one per finding, its mrkdwn text. */
function findingsOf(thread: SlackMessage[]): string[] {
  return thread.flatMap((m) => (m.blocks ?? []).filter((b: any) => b.type === 'section').map((b: any) => String(b.text?.text ?? '')));
}

/** Runs a diagnosis command and waits for its head message to carry the summary (posted after the findings). */
async function diagnose(text: string, user: string = USERS.alice): Promise<Run> {
  const seen = new Set(h.slack.messages.keys());
  const before = h.kube.requests.length;
  const started = Date.now();
  const { res } = await h.command(text, { user });
  const ackMs = Date.now() - started;
  const head = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => !seen.has(m.ts) && !m.thread_ts && m.history.length > 0), 15_000);
  const thread = [...h.slack.messages.values()].filter((m) => m.thread_ts === head.ts);
  const requests = h.kube.requests.slice(before);
  const sections = findingsOf(thread);
  return { ack: res.json, ackMs, head, thread, requests, finding: (title) => sections.find((s) => s.includes(`*${title}*`)) };
}

function expectPass(run: Run, title: string): string {
  const text = run.finding(title);
  expect(text, `finding "${title}" in\n${run.thread.map((m) => textOf(m)).join('\n')}`).toBeDefined();
  expect(text!.startsWith('✅'), text).toBe(true);
  return text!;
}

function expectFail(run: Run, title: string): string {
  const text = run.finding(title);
  expect(text, `finding "${title}" in\n${run.thread.map((m) => textOf(m)).join('\n')}`).toBeDefined();
  expect(text!.startsWith('❌'), text).toBe(true);
  expect(text).toMatch(/_Next:_ /);
  return text!;
}

describe('/mcp-canary diagnose traffic', () => {
  it('acknowledges "running" at once, then posts the findings in a thread under "Diagnosis (traffic) by <@user>", all passing on a healthy canary', async () => {
    h = await harness();
    h.setCanary(5, { hoursAgo: 3 });
    // Rust health takes a while: the acknowledgement must not wait for it.
    h.kube.setServiceProxy('mcp-gateway-rust', { body: { status: 'ok' }, delayMs: 1200 });
    const run = await diagnose('diagnose traffic');
    expect(run.ackMs).toBeLessThan(1000);
    expect(textOf(run.ack)).toMatch(/Running the diagnosis \(traffic\)/);
    expect(run.head.channel).toBe(CHANNEL);
    expect(run.head.history[0]!.text).toMatch(/^Diagnosis \(traffic\) by <@U0ALICE>: running/);
    expect(textOf(run.head)).toMatch(/Diagnosis \(traffic\) by <@U0ALICE>\*: ✅ all 6 checks pass/);
    expect(run.thread).toHaveLength(1);

    const route = expectPass(run, TITLE.route);
    expect(route).toContain('Ingress `mcp-gateway-canary` in `stoa-system`');
    expect(route).toMatch(/✅ host: mcp\.gostoa\.dev \(same as the primary\)/);
    expect(route).toMatch(/✅ ingress class: nginx \(same as the primary\)/);
    expect(expectPass(run, TITLE.endpoints)).toContain('*3* ready, 0 not ready behind Service `mcp-gateway-rust`');
    expect(expectPass(run, TITLE.health)).toMatch(/GET `\/health` on Service `mcp-gateway-rust:8080`: \*HTTP 200\* in (1\.\d+s|1\d{3} ms|1s) `\{"status":"ok"\}`/);
    expect(expectPass(run, TITLE.events)).toContain('No Warning event in the last 1h on Ingress `mcp-gateway-canary` and Deployment `mcp-gateway-rust` (with its ReplicaSets and pods)');
    expect(expectPass(run, TITLE.weight)).toMatch(/Live: \*5%\* · last applied by the bot: \*5%\* by <@U0ALICE>/);
    // Read through client-node: the EndpointSlices by service name, the Warning events of both objects (and of the
    // deployment's ReplicaSets and pods), the service proxy.
    const paths = run.requests.map((r) => `${r.method} ${decodeURIComponent(r.path)}`);
    expect(paths).toContain('GET /api/v1/namespaces/stoa-system/services/mcp-gateway-rust:8080/proxy/health');
    expect(run.requests.find((r) => r.path.endsWith('/endpointslices'))?.query.labelSelector).toBe('kubernetes.io/service-name=mcp-gateway-rust');
    expect(run.requests.filter((r) => r.path.endsWith('/events')).map((r) => r.query.fieldSelector).sort()).toEqual([
      'involvedObject.kind=Deployment,involvedObject.name=mcp-gateway-rust,type=Warning',
      'involvedObject.kind=Ingress,involvedObject.name=mcp-gateway-canary,type=Warning',
      'involvedObject.kind=Pod,type=Warning',
      'involvedObject.kind=ReplicaSet,type=Warning',
    ]);
  });

  it('Rust health answering 503 fails with the status, its body and the runbook check; the other checks still pass', async () => {
    h = await harness();
    h.kube.setServiceProxy('mcp-gateway-rust', { status: 503, body: { status: 'degraded', redis: 'down' } });
    const run = await diagnose('diagnose traffic');
    const health = expectFail(run, TITLE.health);
    expect(health).toMatch(/\*HTTP 503\* in \d+ ms `\{"status":"degraded","redis":"down"\}`/);
    expect(health).toContain('kubectl exec -it deploy/mcp-gateway-rust -n stoa-system -- curl localhost:8080/health');
    expectPass(run, TITLE.route);
    expectPass(run, TITLE.endpoints);
    expect(textOf(run.head)).toMatch(/1 failing\* of 6: Rust health answers through the API server/);
  });

  it('Rust health that does not answer in time fails as Rust hanging, with the runbook check from inside the pod; every other check is still reported', async () => {
    h = await harness({ env: { K8S_REQUEST_TIMEOUT: '400ms' } });
    h.kube.setServiceProxy('mcp-gateway-rust', { delayMs: 3000 });
    const run = await diagnose('diagnose traffic');
    const health = expectFail(run, TITLE.health);
    expect(health).toMatch(/Rust `\/health` did not answer within (4\d\d|5\d\d) ms through the service proxy/);
    expect(health).toContain('kubectl exec -it deploy/mcp-gateway-rust -n stoa-system -- curl localhost:8080/health');
    // The API server answered every other check: it is not what to look at.
    expect(health).not.toContain('check that the Kubernetes API server answers');
    for (const title of [TITLE.route, TITLE.endpoints, TITLE.events, TITLE.weight]) expectPass(run, title);
  });

  it('connection refused through the service proxy while endpoints are ready points at the port and the network, not at the pods', async () => {
    h = await harness();
    h.kube.setServiceProxy('mcp-gateway-rust', { refused: true });
    const run = await diagnose('diagnose traffic');
    expect(expectPass(run, TITLE.endpoints)).toContain('*3* ready');
    const health = expectFail(run, TITLE.health);
    expect(health).toMatch(/the API server could not reach it \(\*HTTP 503\*, \d+ ms\): `error trying to reach service: dial tcp [\d.:]+: connect: connection refused`/);
    expect(health).not.toContain('no Rust pod serves');
    expect(health).toContain("the Service has ready endpoints but the API server could not connect to them (runbook, \"Shadow requests failing\"): check that the Service's `targetPort` is the port Rust listens on and that no NetworkPolicy blocks it");
    expect(health).toContain('kubectl exec -it deploy/mcp-gateway-rust -n stoa-system -- curl localhost:8080/health');
  });

  it('a 401 from the API server is its credentials, not RBAC; a 401 in Rust\'s own words is Rust\'s answer', async () => {
    h = await harness();
    // An expired token: the API server answers every request 401.
    h.kube.failNext({}, 401, 1000);
    let run = await diagnose('diagnose traffic');
    for (const text of [expectFail(run, TITLE.events), expectFail(run, TITLE.health), expectFail(run, TITLE.endpoints), expectFail(run, TITLE.route), expectFail(run, TITLE.routeWrite)]) {
      expect(text).toContain("The API server did not accept the bot's credentials: token expired or the wrong kubeconfig");
      expect(text).toContain("give the bot valid credentials: in the cluster its ServiceAccount token (a restart mounts a fresh one), outside it `KUBECONFIG`");
      expect(text).not.toContain('RBAC refused');
      expect(text).not.toContain('grant ');
    }

    await h.close();
    h = await harness();
    h.kube.setServiceProxy('mcp-gateway-rust', { status: 401, body: '{"error":"missing bearer token"}' });
    run = await diagnose('diagnose traffic');
    const health = expectFail(run, TITLE.health);
    expect(health).toContain('*HTTP 401*');
    expect(health).toContain("Rust's own answer: `/health` asks for credentials");
    expect(health).not.toContain('RBAC');
  });

  it('0 ready endpoints fail (and Rust health says the API server could not reach it); 3 ready pass', async () => {
    h = await harness();
    h.kube.setEndpoints('mcp-gateway-rust', { ready: 0, notReady: 2 });
    let run = await diagnose('diagnose traffic');
    const endpoints = expectFail(run, TITLE.endpoints);
    expect(endpoints).toContain('*0* ready, 2 not ready behind Service `mcp-gateway-rust`');
    expect(endpoints).toContain('kubectl -n stoa-system describe deployment mcp-gateway-rust');
    expect(expectFail(run, TITLE.health)).toMatch(/the API server could not reach it \(\*HTTP 503\*, \d+ ms\): `no endpoints available for service "mcp-gateway-rust"`/);

    h.kube.setEndpoints('mcp-gateway-rust', { ready: 3 });
    run = await diagnose('diagnose traffic');
    expect(expectPass(run, TITLE.endpoints)).toContain('*3* ready, 0 not ready');
    expectPass(run, TITLE.health);
  });

  it("shows recent Warning events of the Rust deployment's ReplicaSet and pods with their reason and message, not Normal, old or other pods' ones", async () => {
    h = await harness();
    const [pod] = h.kube.podNames.rust as [string];
    const replicaSet = pod.replace(/-[^-]+$/, '');
    h.kube.addEvent({ involvedObject: { kind: 'Deployment', name: 'mcp-gateway-rust' }, reason: 'ScalingReplicaSet', message: 'Scaled up replica set to 3' });
    h.kube.addEvent({ involvedObject: { kind: 'ReplicaSet', name: replicaSet }, type: 'Warning', reason: 'FailedCreate', message: 'exceeded quota: compute-resources', count: 4 });
    h.kube.addEvent({ involvedObject: { kind: 'Pod', name: pod }, type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', count: 12 });
    h.kube.addEvent({ involvedObject: { kind: 'Deployment', name: 'mcp-gateway-rust' }, type: 'Warning', reason: 'OldWarning', message: 'from yesterday', lastTimestamp: Date.now() - 86_400_000 });
    h.kube.addEvent({ involvedObject: { kind: 'Pod', name: h.kube.podNames.python[0]! }, type: 'Warning', reason: 'PythonOnly', message: 'not about Rust' });
    // An ongoing warning recorded the events.k8s.io way: it started two hours ago and its series goes on.
    const backOff = h.kube.addEvent({ involvedObject: { kind: 'Pod', name: pod }, type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container rust', lastTimestamp: Date.now() - 7_200_000 });
    const stored = h.kube.get(`/api/v1/namespaces/stoa-system/events/${backOff.metadata.name}`);
    Object.assign(stored, { firstTimestamp: null, lastTimestamp: null, count: null, eventTime: new Date(Date.now() - 7_200_000).toISOString(), series: { count: 40, lastObservedTime: new Date(Date.now() - 60_000).toISOString() } });
    const run = await diagnose('diagnose traffic');
    const events = expectFail(run, TITLE.events);
    expect(events).toContain('*3* Warning events in the last 1h');
    expect(events).toContain(`• ReplicaSet ${replicaSet}: FailedCreate ×4 — exceeded quota: compute-resources`);
    expect(events).toContain(`• Pod ${pod}: Unhealthy ×12 — Readiness probe failed: HTTP probe failed with statuscode: 503`);
    expect(events).toContain(`• Pod ${pod}: BackOff ×40 — Back-off restarting failed container rust`);
    expect(events).not.toContain('ScalingReplicaSet');
    expect(events).not.toContain('OldWarning');
    expect(events).not.toContain('PythonOnly');
    expect(events).toContain(`kubectl -n stoa-system get events --field-selector involvedObject.name=${pod},type=Warning`);
    expect(events).toContain(`kubectl -n stoa-system get events --field-selector involvedObject.name=${replicaSet},type=Warning`);
    expectPass(run, TITLE.route);
  });

  it('a canary Ingress whose host differs from the primary fails, naming both hosts', async () => {
    h = await harness();
    h.kube.get(h.kube.paths.canaryIngress).spec.rules[0].host = 'mcp-canary.gostoa.dev';
    const run = await diagnose('diagnose traffic');
    const route = expectFail(run, TITLE.route);
    expect(route).toContain('❌ host: mcp-canary.gostoa.dev (primary: mcp.gostoa.dev)');
    expect(route).toMatch(/✅ path: \/ \(Prefix\) \(same as the primary\)/);
    expect(route).toContain('make the canary route match: host');
    expect(route).toContain('kubectl -n stoa-system describe ingress mcp-gateway-canary');
    // The runbook's "Canary not receiving traffic", step 2.
    expect(route).toContain("The traffic controller's logs say why it skips the route: `kubectl logs -l app.kubernetes.io/component=controller -n ingress-nginx`.");
  });

  it('the live weight changed behind the bot fails against what the bot last applied', async () => {
    h = await harness();
    h.setCanary(10, { hoursAgo: 5 });
    h.setCanary(25);
    const run = await diagnose('diagnose traffic');
    const weight = expectFail(run, TITLE.weight);
    expect(weight).toMatch(/Live: \*25%\* · last applied by the bot: \*10%\* by <@U0ALICE>/);
    expect(weight).toContain('/mcp-canary status');
  });

  it('on Gateway API: the route not Accepted by its Gateway fails with the condition, its reason and message', async () => {
    h = await harness({ env: { TRAFFIC_ROUTER: 'gateway-api' } });
    const route = h.kube.get(h.kube.paths.httpRoute);
    route.status.parents[0].conditions[0] = { type: 'Accepted', status: 'False', reason: 'NoMatchingParent', message: 'no listener matches the hostname' };
    const run = await diagnose('diagnose traffic');
    const text = expectFail(run, TITLE.route);
    expect(text).toContain('HTTPRoute `mcp-gateway` in `stoa-system` (gateway-api)');
    expect(text).toContain('❌ Accepted (public-gw): False (NoMatchingParent) (expected: True) — no listener matches the hostname');
    expect(text).toContain('✅ ResolvedRefs (public-gw): True (ResolvedRefs)');
    expect(text).toContain('✅ split rules: 1 of 2 rules');
    expect(text).toContain('the traffic layer does not accept the route (Accepted (public-gw): False (NoMatchingParent))');
    expect(text).toMatch(
      /The traffic controller's logs say why it skips the route: `kubectl -n stoa-system get httproute mcp-gateway -o jsonpath='\{\.status\.parents\[\*\]\.controllerName\}'   # the Gateway controller \(last read: [^)]+\): its logs say why`\./,
    );
    expect(text).not.toContain('ingress-nginx');
    expect(run.requests.filter((r) => r.path.endsWith('/events')).map((r) => r.query.fieldSelector)).toContain('involvedObject.kind=HTTPRoute,involvedObject.name=mcp-gateway,type=Warning');
  });
});

describe('/mcp-canary diagnose traffic: may the bot write the canary route (runbook, "Rollback not working")', () => {
  it('asks the API server with a SelfSubjectAccessReview for patch on the canary Ingress; allowed passes with its reason', async () => {
    h = await harness();
    const run = await diagnose('diagnose traffic');
    const text = expectPass(run, TITLE.routeWrite);
    expect(text).toContain('Ingress `mcp-gateway-canary`: the API server says the bot *may* `patch` on `ingresses.networking.k8s.io` `mcp-gateway-canary` in `stoa-system` (RBAC: allowed by RoleBinding');
    const reviews = run.requests.filter((r) => r.path === ACCESS_REVIEWS);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]!.body).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: 'stoa-system', verb: 'patch', group: 'networking.k8s.io', resource: 'ingresses', name: 'mcp-gateway-canary' } },
    });
  });

  it('denied fails with the RBAC rule to grant and the commands to roll back by hand; a rollback would indeed be refused', async () => {
    h = await harness();
    h.kube.denyAccess({ verb: 'patch', resource: 'ingresses', group: 'networking.k8s.io', name: 'mcp-gateway-canary' });
    const run = await diagnose('diagnose traffic');
    const text = expectFail(run, TITLE.routeWrite);
    expect(text).toContain('the API server says the bot *may not* `patch` on `ingresses.networking.k8s.io` `mcp-gateway-canary`');
    expect(text).toContain("a rollback would fail. Grant the bot's ServiceAccount `patch` on `ingresses.networking.k8s.io` `mcp-gateway-canary`: add this rule to its Role in `stoa-system` (`deploy/rbac.yaml`)");
    expect(text).toContain('```- apiGroups: ["networking.k8s.io"]\n  resources: ["ingresses"]\n  resourceNames: ["mcp-gateway-canary"]\n  verbs: ["patch"]```');
    expect(text).toContain('Until then, roll back by hand (runbook, "Rollback not working")');
    expect(text).toContain('kubectl patch ingress mcp-gateway-canary -n stoa-system --type=merge');
    expect(text).toContain('kubectl delete ingress mcp-gateway-canary -n stoa-system');
    expect(textOf(run.head)).toMatch(/1 failing\* of 6: The bot may write the canary route \(rollback\)/);
    expect(writesOf(run.requests)).toEqual([]);
  });

  it('on Gateway API: asks about patch on the HTTPRoute and, denied, gives its JSON Patch to run by hand', async () => {
    h = await harness({ env: { TRAFFIC_ROUTER: 'gateway-api' } });
    h.kube.denyAccess({ verb: 'patch', resource: 'httproutes', group: 'gateway.networking.k8s.io' });
    const run = await diagnose('diagnose traffic');
    const text = expectFail(run, TITLE.routeWrite);
    expect(text).toContain('HTTPRoute `mcp-gateway`: the API server says the bot *may not* `patch` on `httproutes.gateway.networking.k8s.io` `mcp-gateway` in `stoa-system`');
    expect(text).toContain('resources: ["httproutes"]');
    expect(text).toContain('kubectl -n stoa-system patch httproute mcp-gateway --type=json');
    expect(text).not.toContain('ingress');
    expect(run.requests.find((r) => r.path === ACCESS_REVIEWS)?.body.spec.resourceAttributes).toEqual({
      namespace: 'stoa-system',
      verb: 'patch',
      group: 'gateway.networking.k8s.io',
      resource: 'httproutes',
      name: 'mcp-gateway',
    });
  });

  it('a 403 on the review itself is a finding naming create on selfsubjectaccessreviews', async () => {
    h = await harness();
    h.kube.failNext({ method: 'POST', pathIncludes: 'selfsubjectaccessreviews' }, 403);
    const run = await diagnose('diagnose traffic');
    const text = expectFail(run, TITLE.routeWrite);
    expect(text).toContain('Kubernetes RBAC refused `create` on `selfsubjectaccessreviews`');
    expectPass(run, TITLE.route);
  });
});

describe('the no-write check of these tests', () => {
  it('lets the access reviews\' POSTs through and catches every other write, dry runs included', () => {
    const request = (method: string, path: string, query: Record<string, string> = {}) => ({ method, path, query, at: 0 }) as Harness['kube']['requests'][number];
    const reviews = request('POST', ACCESS_REVIEWS);
    const writes = [
      request('POST', '/apis/networking.k8s.io/v1/namespaces/stoa-system/ingresses'),
      request('PATCH', '/apis/networking.k8s.io/v1/namespaces/stoa-system/ingresses/mcp-gateway-canary'),
      request('DELETE', '/apis/networking.k8s.io/v1/namespaces/stoa-system/ingresses/mcp-gateway-canary'),
      request('POST', `${ACCESS_REVIEWS}/x`),
      request('GET', '/apis/apps/v1/namespaces/stoa-system/deployments/mcp-gateway-python', { dryRun: 'All' }),
    ];
    expect(writesOf([reviews, request('GET', '/api/v1/namespaces/stoa-system/pods'), ...writes])).toEqual(writes);
  });
});

describe('/mcp-canary diagnose shadow', () => {
  it('checks the shadow env on the Python deployment, its rollout, Rust health and the shadow rates against their thresholds', async () => {
    h = await harness();
    h.prometheus.set(SHADOW.errorQuery, 0.002);
    h.prometheus.set(SHADOW.timeoutQuery, 0.08);
    let run = await diagnose('diagnose shadow');
    expect(run.head.history[0]!.text).toMatch(/^Diagnosis \(shadow\) by <@U0ALICE>/);
    const env = expectFail(run, TITLE.shadowEnv);
    expect(env).toContain('Deployment `mcp-gateway-python`, container `gateway`: `SHADOW_MODE_ENABLED` = _unset_');
    expect(env).toContain('`/mcp-canary shadow on`');
    expect(expectPass(run, TITLE.rollout)).toContain('4/4 updated, 4 ready, 4 available — rollout complete');
    expectPass(run, TITLE.health);
    expect(expectPass(run, TITLE.errorRate)).toContain('Error rate *0.2%* (must stay under 1%)');
    const timeout = expectFail(run, TITLE.timeoutRate);
    expect(timeout).toContain('Timeout rate *8%* (must stay under 5%)');
    expect(timeout).toContain('kubectl exec -it deploy/mcp-gateway-python -n stoa-system -- curl -v http://mcp-gateway-rust:8080/health');

    const python = h.kube.get(h.kube.paths.pythonDeployment);
    python.spec.template.spec.containers[0].env.push({ name: 'SHADOW_MODE_ENABLED', value: 'true' }, { name: 'SHADOW_RUST_GATEWAY_URL', value: 'http://mcp-gateway-rust:8080' });
    h.prometheus.set(SHADOW.timeoutQuery, 0.01);
    h.prometheus.set(SHADOW.errorQuery, 'NaN');
    run = await diagnose('diagnose shadow');
    expect(expectPass(run, TITLE.shadowEnv)).toContain('`SHADOW_MODE_ENABLED` = `true`, `SHADOW_RUST_GATEWAY_URL` = `http://mcp-gateway-rust:8080`');
    expectPass(run, TITLE.timeoutRate);
    // No data is no proof of health: fail closed.
    expect(expectFail(run, TITLE.errorRate)).toContain('Error rate *unknown*');
  });

  it('shadow env whose URL is not the Rust Service on its port fails, saying where it points', async () => {
    h = await harness();
    const python = h.kube.get(h.kube.paths.pythonDeployment);
    python.spec.template.spec.containers[0].env.push({ name: 'SHADOW_MODE_ENABLED', value: 'true' }, { name: 'SHADOW_RUST_GATEWAY_URL', value: 'http://mcp-gateway-rust:9090' });
    const run = await diagnose('diagnose shadow');
    const env = expectFail(run, TITLE.shadowEnv);
    expect(env).toContain('`SHADOW_RUST_GATEWAY_URL` = `http://mcp-gateway-rust:9090` (expected `http://mcp-gateway-rust:8080`)');
    expect(env).toContain('SHADOW_RUST_GATEWAY_URL http://mcp-gateway-rust:9090 does not point at the Rust Service mcp-gateway-rust:8080 (RUST_SERVICE:RUST_SERVICE_PORT)');
    expect(env).toContain('`/mcp-canary shadow on`');
  });
});

describe('/mcp-canary diagnose shadow: variables set from a Secret or ConfigMap', () => {
  it('says where SHADOW_MODE_ENABLED comes from and how to read it, never "unset" nor "/mcp-canary shadow on"', async () => {
    h = await harness();
    const python = h.kube.get(h.kube.paths.pythonDeployment);
    python.spec.template.spec.containers[0].env.push(
      { name: 'SHADOW_MODE_ENABLED', valueFrom: { configMapKeyRef: { name: 'gateway-flags', key: 'shadow' } } },
      { name: 'SHADOW_RUST_GATEWAY_URL', value: 'http://mcp-gateway-rust:8080' },
    );
    const run = await diagnose('diagnose shadow');
    const env = expectFail(run, TITLE.shadowEnv);
    expect(env).toContain('`SHADOW_MODE_ENABLED` = set from ConfigMap `gateway-flags` key `shadow`, not readable by the bot, `SHADOW_RUST_GATEWAY_URL` = `http://mcp-gateway-rust:8080`');
    expect(env).toContain("`SHADOW_MODE_ENABLED` comes from ConfigMap `gateway-flags` key `shadow`: `kubectl -n stoa-system get configmap gateway-flags -o jsonpath='{.data.shadow}'`");
    expect(env).not.toContain('_unset_');
    expect(env).not.toContain('(approvers) sets both');
  });

  it('a Secret reference reads with base64 -d', async () => {
    h = await harness();
    const python = h.kube.get(h.kube.paths.pythonDeployment);
    python.spec.template.spec.containers[0].env.push({ name: 'SHADOW_RUST_GATEWAY_URL', valueFrom: { secretKeyRef: { name: 'gateway-secrets', key: 'rust-url' } } });
    const run = await diagnose('diagnose shadow');
    const env = expectFail(run, TITLE.shadowEnv);
    expect(env).toContain('`SHADOW_MODE_ENABLED` = _unset_, `SHADOW_RUST_GATEWAY_URL` = set from Secret `gateway-secrets` key `rust-url`, not readable by the bot');
    expect(env).toContain("`kubectl -n stoa-system get secret gateway-secrets -o jsonpath='{.data.rust-url}' | base64 -d`");
  });
});

describe('/mcp-canary diagnose mismatches', () => {
  const mismatch = (path: string, extra: Record<string, unknown> = {}) => JSON.stringify({ level: 'warning', msg: 'Shadow MISMATCH', path, ...extra });

  it('counts the Shadow MISMATCH lines of each Python pod by path, most first, with samples cut short; non-JSON lines are counted apart', async () => {
    h = await harness();
    const [a, b] = h.kube.podNames.python as [string, string];
    h.kube.setPodLog(a, [
      '{"level":"info","msg":"request","path":"/tools/call"}',
      mismatch('/tools/call'),
      mismatch('/tools/list'),
      'WARNING Shadow MISMATCH on /tools/call (python 200, rust 500)',
      mismatch('/tools/call'),
    ]);
    h.kube.setPodLog(b, [mismatch('/resources/read'), mismatch('/tools/call', { diff: 'x'.repeat(1000) }), mismatch('/tools/list'), 'Shadow MISMATCH {not json', '{"msg":"ok"}']);
    // The sidecar's log is not the gateway's: never read.
    h.kube.setPodLog(a, [mismatch('/from/the/sidecar')], { container: 'sidecar' });

    const run = await diagnose('diagnose mismatches');
    const logs = expectPass(run, TITLE.podLogs);
    expect(logs).toContain('Pods `app=mcp-gateway-python`: 2, the last 2000 lines of each');
    expect(logs).toContain(`✅ \`${a}\` (gateway): 5 lines`);
    const text = expectFail(run, TITLE.mismatches);
    expect(text).toContain('*8* `Shadow MISMATCH` lines in 10 lines of 2 pods');
    const order = ['*3* `/tools/call`', '*2* `/tools/list`', '*1* `/resources/read`'].map((s) => text.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(text).not.toContain('/from/the/sidecar');
    expect(text).toContain('*2* lines not JSON (counted apart, not by path)');
    expect(text).toContain('Shadow MISMATCH {not json');
    // A sample of each top path (its newest line), the 1000-character value cut.
    expect(text).toMatch(/"diff":"x{150,199}…"/);
    expect(text).not.toContain('x'.repeat(250));
    expect(text).toContain("compare Python's and Rust's answers to the same request on `/tools/call`");

    const logReads = run.requests.filter((r) => r.path.endsWith('/log'));
    expect(logReads.map((r) => r.query).sort((x, y) => x.container!.localeCompare(y.container!))).toEqual([
      { container: 'gateway', tailLines: '2000' },
      { container: 'gateway', tailLines: '2000' },
    ]);
    expect(run.requests.find((r) => r.path.endsWith('/pods'))?.query.labelSelector).toBe('app=mcp-gateway-python');
  });

  it('reads only the last DIAGNOSE_LOG_LINES lines and passes when none of them is a mismatch', async () => {
    h = await harness({ env: { DIAGNOSE_LOG_LINES: '2' } });
    const [a] = h.kube.podNames.python as [string];
    h.kube.setPodLog(a, [mismatch('/old'), '{"msg":"ok"}', '{"msg":"ok"}']);
    const run = await diagnose('diagnose mismatches');
    expect(expectPass(run, TITLE.mismatches)).toContain('*0* `Shadow MISMATCH` lines in 2 lines of 2 pods');
  });

  it('a 403 on pods/log is a failed finding naming the verb and the resource, not an error', async () => {
    h = await harness();
    h.kube.failNext({ pathIncludes: '/log' }, 403, 2);
    const run = await diagnose('diagnose');
    const logs = expectFail(run, TITLE.podLogs);
    expect(logs).toContain('Kubernetes RBAC refused `get` on `pods/log`');
    expect(logs).toContain("grant `get` on `pods/log` to the bot's ServiceAccount");
    expect(expectFail(run, TITLE.mismatches)).toContain('no pod log could be read');
    // The other scopes ran and reported as usual.
    expectPass(run, TITLE.route);
    expectPass(run, TITLE.health);
    expect(run.thread).toHaveLength(3);
    expect(h.slack.responses.map((r) => textOf(r.body)).join('\n')).not.toMatch(/diagnosis failed/);
  });
});

describe('/mcp-canary diagnose (everything)', () => {
  it('runs the three scopes, reads Rust health once, and sends not one write request to the cluster', async () => {
    h = await harness();
    const run = await diagnose('diagnose', USERS.mallory);
    expect(textOf(run.ack)).toMatch(/Running the diagnosis \(traffic, shadow, mismatches\)/);
    expect(run.head.history[0]!.text).toMatch(/^Diagnosis \(traffic, shadow, mismatches\) by <@U0MALLORY>/);
    expect(run.thread.map((m) => m.text?.split(':')[0])).toEqual(['Diagnosis traffic', 'Diagnosis shadow', 'Diagnosis mismatches']);
    expect(run.requests.length).toBeGreaterThan(8);
    expect(writesOf(run.requests)).toEqual([]);
    // The only POST: asking whether the bot may patch the canary Ingress (once, by the traffic scope).
    expect(run.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${ACCESS_REVIEWS}`]);
    expect(run.requests.filter((r) => r.path.includes('/proxy/'))).toHaveLength(1);
  });

  it('on Gateway API too, not one write request to the cluster', async () => {
    h = await harness({ env: { TRAFFIC_ROUTER: 'gateway-api' } });
    const run = await diagnose('diagnose');
    expect(run.requests.some((r) => r.path.includes('/httproutes'))).toBe(true);
    expect(writesOf(run.requests)).toEqual([]);
    expect(run.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${ACCESS_REVIEWS}`]);
  });

  it('keeps hostile or huge cluster text inert and every message within Slack\'s limits', async () => {
    h = await harness();
    h.kube.addEvent({ involvedObject: { kind: 'Deployment', name: 'mcp-gateway-rust' }, type: 'Warning', reason: '<!channel>', message: `<@U0EVIL> ${'m'.repeat(10_000)}` });
    h.kube.setServiceProxy('mcp-gateway-rust', { status: 500, body: `<!here|ping> ${'b'.repeat(10_000)}` });
    h.kube.setPodLog(
      h.kube.podNames.python[0]!,
      Array.from({ length: 300 }, (_, i) => JSON.stringify({ msg: 'Shadow MISMATCH', path: `/p/${i}<!subteam^S0X>`, body: 'z'.repeat(5000) })),
    );
    const run = await diagnose('diagnose');
    for (const m of [run.head, ...run.thread]) {
      const rendered = { text: m.text ?? '', blocks: m.blocks ?? [] };
      expectWithinLimits(rendered);
      expectOnlySafeTokens(rendered);
    }
    expect(run.finding(TITLE.mismatches)).toContain('…and 290 more paths');
  });

  it('refuses a scope it does not know with the usage', async () => {
    h = await harness();
    const answer = await h.ask('diagnose everything');
    expect(textOf(answer)).toMatch(/`diagnose` takes nothing \(every check\) or one of `traffic`, `shadow`, `mismatches`/);
    expect(textOf(answer)).toContain('/mcp-canary diagnose [traffic|shadow|mismatches]');
  });
});

describe('the Diagnose button on shadow alerts', () => {
  async function fire(name: string): Promise<SlackMessage> {
    const payload = structuredClone(firing);
    payload.groupKey = `{}:{alertname="${name}"}`;
    payload.groupLabels = { alertname: name };
    payload.commonLabels = { ...payload.commonLabels, alertname: name, severity: 'warning' };
    payload.alerts[0].labels = { ...payload.alerts[0].labels, alertname: name, severity: 'warning' };
    const res = await fetch(`${h.bot.url}/alerts/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(payload) });
    expect(res.status).toBe(200);
    return h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => !m.thread_ts && textOf(m).includes(`FIRING: ${name}`)));
  }

  it('MCPShadowMismatchRateHigh carries "Diagnose mismatches", which posts the mismatch findings in the alert\'s thread', async () => {
    h = await harness();
    h.kube.setPodLog(h.kube.podNames.python[0]!, [JSON.stringify({ msg: 'Shadow MISMATCH', path: '/tools/call' })]);
    const alert = await fire('MCPShadowMismatchRateHigh');
    const button = buttonsOf(alert.blocks).find((b) => b.action_id === 'canary_diagnose');
    expect(button?.text.text).toBe(':mag: Diagnose mismatches');
    expect(button?.value).toMatch(/^mismatches:.+/);
    const before = h.kube.requests.length;
    await h.click('canary_diagnose', button!.value!, { user: USERS.bob, messageTs: alert.ts });
    const head = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => m.thread_ts === alert.ts && /Diagnosis \(mismatches\) by <@U0BOB>/.test(m.text ?? '') && m.history.length > 0), 15_000);
    expect(textOf(head)).toContain('from the alert');
    const findings = findingsOf([...h.slack.messages.values()].filter((m) => m.thread_ts === alert.ts && m.ts !== head.ts));
    expect(findings.find((f) => f.includes(TITLE.mismatches))).toMatch(/^❌[\s\S]*\*1\* `\/tools\/call`/);
    expect(findings.find((f) => f.includes(TITLE.podLogs))?.startsWith('✅')).toBe(true);
    expect(h.kube.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('MCPShadowErrorRateHigh carries "Diagnose shadow"; a rollback alert carries none', async () => {
    h = await harness();
    const shadow = await fire('MCPShadowErrorRateHigh');
    expect(buttonsOf(shadow.blocks).find((b) => b.action_id === 'canary_diagnose')?.value).toMatch(/^shadow:.+/);
    await h.click('canary_diagnose', buttonsOf(shadow.blocks).find((b) => b.action_id === 'canary_diagnose')!.value!, { user: USERS.alice, messageTs: shadow.ts });
    const head = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => m.thread_ts === shadow.ts && /Diagnosis \(shadow\)/.test(m.text ?? '') && m.history.length > 0), 15_000);
    const findings = findingsOf([...h.slack.messages.values()].filter((m) => m.thread_ts === shadow.ts && m.ts !== head.ts));
    expect(findings.some((f) => f.includes(TITLE.shadowEnv))).toBe(true);
    expect(findings.some((f) => f.includes(TITLE.health))).toBe(true);
    const rollbackAlert = await fire('MCPRustGatewayErrorRateHigh');
    expect(buttonsOf(rollbackAlert.blocks).map((b) => b.action_id)).not.toContain('canary_diagnose');
  });
});

// `/mcp-canary diagnose` and the Diagnose button of shadow alerts: the acknowledgement ("running"), the short
// message that heads the diagnosis, and the findings of each scope, each marked pass/fail with its evidence
// and the next action. The core's findings are data; this is where they get words.
import type { KnownBlock } from '@slack/types';
import type { CheckProblem, DiagnoseScope, DiagnosticCheck, Diagnosis, EnvSource, Finding, NextAction, ResourceRef, RouteShapeCheck } from '../src/core/entities.js';
import { formatDuration, formatPercent, formatRatio } from '../src/core/format.js';
import { bullets, context, escapeMrkdwn, header, mention, message, section, slackTime, truncate, type Message } from './blocks.js';
import { FAIL, PASS, mark } from './evidence.js';
import { routeLabel } from './route.js';

/** What each check asserts; the mark in front says whether it holds. */
const TITLES: Record<DiagnosticCheck, string> = {
  'route-shape': 'The canary route exists and matches the primary',
  'rust-endpoints': 'The Rust Service has ready endpoints',
  'rust-health': 'Rust health answers through the API server',
  'warning-events': 'No recent Warning event on the route, the Rust deployment or its pods',
  weight: 'The live weight is what the bot last applied',
  'route-write': 'The bot may write the canary route (rollback)',
  'shadow-env': 'Shadow mode is on in the Python deployment',
  'python-rollout': 'The Python deployment finished rolling out',
  'shadow-error-rate': 'Shadow error rate under its threshold',
  'shadow-timeout-rate': 'Shadow timeout rate under its threshold',
  'pod-logs': "The Python pods' logs can be read",
  mismatches: 'No shadow mismatch in the Python logs',
};

const SCOPE_TITLES: Record<DiagnoseScope, string> = {
  traffic: 'Traffic: is the canary route serving Rust?',
  shadow: 'Shadow: are the shadow requests reaching Rust?',
  mismatches: 'Mismatches: which paths answer differently?',
};

const MAX_PATHS = 10;
const MAX_EVENTS = 5;

export function scopeName(scope: DiagnoseScope | 'all' | undefined): string {
  return scope === undefined || scope === 'all' ? 'traffic, shadow, mismatches' : scope;
}

/** Inline code: escaped, backticks neutralised, cut. */
function code(text: string, max = 200): string {
  return `\`${truncate(escapeMrkdwn(text).replace(/`/g, "'"), max)}\``;
}

function plainText(text: string, max: number): string {
  return truncate(escapeMrkdwn(text), max);
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : formatDuration(ms);
}

/** The slash command's acknowledgement: at once, before anything is read. */
export function renderDiagnoseRunning(scope: DiagnoseScope | undefined): Message {
  const text = `:mag: Running the diagnosis (${scopeName(scope)})… read-only; the findings follow in a thread in this channel.`;
  return message(`Running the diagnosis (${scopeName(scope)})`, [section(text)]);
}

/** The short message the findings hang under: "Diagnosis (traffic) by @alice", then its summary once done. */
export function renderDiagnosisHead(input: { scope: DiagnoseScope | undefined; actor: string; diagnosis?: Diagnosis; fromAlert?: boolean }): Message {
  const title = `Diagnosis (${scopeName(input.scope)}) by ${mention(input.actor)}`;
  const origin = input.fromAlert ? ' from the alert' : '';
  if (!input.diagnosis) {
    return message(`${title}: running`, [section(`:mag: *${title}*${origin}: running… the findings follow in ${input.fromAlert ? 'this thread' : 'the thread'}.`)]);
  }
  const { passed, failed } = tally(input.diagnosis.findings);
  const failing = input.diagnosis.findings.filter((f) => !f.pass).map((f) => TITLES[f.check]);
  const more = failing.length > 4 ? ` and ${failing.length - 4} more` : '';
  const verdict = failed === 0 ? `${PASS} all ${passed} checks pass` : `${FAIL} *${failed} failing* of ${passed + failed}: ${escapeMrkdwn(failing.slice(0, 4).join('; '))}${more}`;
  const blocks: KnownBlock[] = [section(`:mag: *${title}*${origin}: ${verdict}. Findings in the thread.`), context([`Read-only · ${slackTime(input.diagnosis.at)} · took ${duration(input.diagnosis.tookMs)}`])];
  return message(`${title}: ${failed === 0 ? 'all checks pass' : `${failed} failing`}`, blocks);
}

/** The findings of one scope: one message in the thread. */
export function renderScopeFindings(diagnosis: Diagnosis, scope: DiagnoseScope): Message {
  const findings = diagnosis.findings.filter((f) => f.scope === scope);
  const { passed, failed } = tally(findings);
  const blocks: KnownBlock[] = [header(`${failed ? '❌' : '✅'} ${SCOPE_TITLES[scope]}`)];
  for (const finding of findings) blocks.push(section(findingText(finding, diagnosis.namespace)));
  blocks.push(context([`${passed} pass · ${failed} fail · ${slackTime(diagnosis.at)}`]));
  const failing = findings.filter((f) => !f.pass).map((f) => TITLES[f.check]);
  return message(`Diagnosis ${scope}: ${failed ? `${failed} failing (${failing.join('; ')})` : `all ${passed} checks pass`}`, blocks);
}

/** Every scope in one message, when the thread could not be posted (the person who asked still sees it). */
export function renderDiagnosis(diagnosis: Diagnosis): Message {
  const parts = diagnosis.scopes.map((s) => renderScopeFindings(diagnosis, s));
  return message(parts.map((p) => p.text).join(' · '), parts.flatMap((p) => p.blocks));
}

function tally(findings: Finding[]): { passed: number; failed: number } {
  const passed = findings.filter((f) => f.pass).length;
  return { passed, failed: findings.length - passed };
}

/** One finding: mark and title, the evidence, why it could not look, what to do next. */
export function findingText(finding: Finding, namespace: string): string {
  const lines = [`${mark(finding.pass)} *${TITLES[finding.check]}*`];
  const evidence = evidenceLines(finding, namespace);
  lines.push(...evidence);
  // The pods' lines already say which read was refused and why.
  const shownPerPod = finding.check === 'pod-logs' && finding.evidence?.pods.some((p) => p.problem);
  if (finding.problem && !shownPerPod) lines.push(finding.check === 'rust-health' ? healthProblemText(finding.problem, finding.next) : problemText(finding.problem));
  if (finding.next) lines.push(`:point_right: _Next:_ ${nextText(finding.next, finding, namespace)}`);
  return lines.join('\n');
}

export function problemText(problem: CheckProblem): string {
  switch (problem.kind) {
    case 'timeout':
      return `:hourglass: No answer within ${duration(problem.afterMs)}: the check gave up (the others went on).`;
    case 'forbidden':
      return `:lock: Kubernetes RBAC refused ${code(problem.verb)} on ${code(problem.resource)}${problem.name ? ` (${code(problem.name)})` : ''}: the bot's ServiceAccount lacks that permission.`;
    case 'unauthenticated':
      return ":key: The API server did not accept the bot's credentials: token expired or the wrong kubeconfig (authentication, not an RBAC refusal: no permission fixes it).";
    case 'error':
      return `:warning: ${plainText(problem.message, 600)}`;
  }
}

/** `ingresses.networking.k8s.io`, as the API server and `kubectl auth can-i` name a resource. */
function groupResource(r: ResourceRef): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

/** Where a variable set by reference takes its value, and the command that reads it (the bot does not). */
function envSourceText(source: EnvSource, namespace: string): { where: string; read?: string } {
  const ns = escapeMrkdwn(namespace);
  const name = escapeMrkdwn(source.name);
  const key = source.key === undefined ? undefined : escapeMrkdwn(source.key);
  switch (source.kind) {
    case 'Secret':
      return { where: `Secret ${code(source.name)}${key ? ` key ${code(source.key!)}` : ''}`, read: key ? `\`kubectl -n ${ns} get secret ${name} -o jsonpath='{.data.${key}}' | base64 -d\`` : undefined };
    case 'ConfigMap':
      return { where: `ConfigMap ${code(source.name)}${key ? ` key ${code(source.key!)}` : ''}`, read: key ? `\`kubectl -n ${ns} get configmap ${name} -o jsonpath='{.data.${key}}'\`` : undefined };
    case 'field':
      return { where: `the pod's field ${code(source.name)}` };
    case 'resource':
      return { where: `the container's resource ${code(source.name)}` };
    case 'other':
      return { where: code(source.name) };
  }
}

/** Rust health out of time is Rust's silence: the API server relays the request and waits for Rust. */
function healthProblemText(problem: CheckProblem, next: NextAction | undefined): string {
  if (problem.kind !== 'timeout' || next?.kind !== 'check-rust-health') return problemText(problem);
  return `:hourglass: Rust ${code(next.path)} did not answer within ${duration(problem.afterMs)} through the service proxy: Rust hangs or is very slow (the API server relays the request and waits for it).`;
}

function shapeLine(c: RouteShapeCheck): string {
  const value = c.actual !== undefined ? `: ${plainText(c.actual, 300)}` : '';
  const expected = !c.ok && c.expected !== undefined ? ` (${c.kind === 'match' ? 'primary' : 'expected'}: ${plainText(c.expected, 300)})` : c.ok && c.kind === 'match' ? ' (same as the primary)' : '';
  const detail = c.detail ? ` — ${plainText(c.detail, 300)}` : '';
  return `  ${mark(c.ok)} ${plainText(c.aspect, 120)}${value}${expected}${detail}`;
}

function rate(value: number | undefined, max: number): string {
  return `${value === undefined ? '*unknown*' : `*${formatRatio(value)}*`} (must stay under ${formatRatio(max)})`;
}

function evidenceLines(finding: Finding, namespace: string): string[] {
  switch (finding.check) {
    case 'route-shape': {
      const e = finding.evidence;
      if (!e) return [];
      return [`${routeLabel(e.route)} in ${code(e.route.namespace)} (${plainText(e.route.router, 40)}):`, ...e.checks.slice(0, 15).map(shapeLine)];
    }
    case 'rust-endpoints': {
      const e = finding.evidence;
      return e ? [`*${e.ready}* ready, ${e.notReady} not ready behind Service ${code(e.service)}`] : [];
    }
    case 'rust-health': {
      const e = finding.evidence;
      if (!e) return [];
      const target = `GET ${code(e.path)} on Service ${code(`${e.service}:${e.port}`)}`;
      const body = e.body ? ` ${code(e.body.replace(/\s+/g, ' '), 300)}` : '';
      if (e.fromApiServer) return [`${target}: the API server could not reach it (*HTTP ${e.status}*, ${duration(e.latencyMs)}):${body}`];
      // Through the proxy, a 401 or 403 in Rust's words is Rust's answer, not the API server refusing the bot.
      const own = e.status === 401 || e.status === 403 ? ` — Rust's own answer: ${code(e.path)} asks for credentials (\`RUST_HEALTH_PATH\` must be a path that answers without them)` : '';
      return [`${target}: *HTTP ${e.status}* in ${duration(e.latencyMs)}${body}${own}`];
    }
    case 'warning-events': {
      const e = finding.evidence;
      if (!e) return [];
      const objects = `${e.objects.map((o) => `${escapeMrkdwn(o.kind)} ${code(o.name)}`).join(' and ')}${e.objects.some((o) => o.kind === 'Deployment') ? ' (with its ReplicaSets and pods)' : ''}`;
      const lines = [
        e.events.length
          ? `*${e.events.length}* Warning event${e.events.length === 1 ? '' : 's'} in the last ${formatDuration(e.windowMs)} on ${objects}:`
          : `No Warning event in the last ${formatDuration(e.windowMs)} on ${objects}.`,
      ];
      if (e.events.length) {
        lines.push(
          bullets(
            e.events.map((ev) => `${ev.object.kind} ${ev.object.name}: ${ev.reason}${ev.count > 1 ? ` ×${ev.count}` : ''} — ${ev.message}`),
            { maxItems: MAX_EVENTS, maxItemChars: 400 },
          ),
        );
      }
      for (const u of e.unread) lines.push(`Could not read the events of ${escapeMrkdwn(u.kind)} ${code(u.name)}: ${problemText(u.problem)}`);
      return lines;
    }
    case 'weight': {
      const e = finding.evidence;
      if (!e) return [];
      const live = e.exists ? `*${formatPercent(e.live)}*` : '*0%* (no canary route)';
      const split = e.splitPercents && new Set(e.splitPercents).size > 1 ? ` — its split rules disagree: ${e.splitPercents.map(formatPercent).join(', ')}` : '';
      const applied = e.applied
        ? `*${formatPercent(e.applied.percent)}*${e.applied.by ? ` by ${mention(e.applied.by)}` : ''} ${slackTime(e.applied.at)}${e.applied.recordedOn === 'store' ? ' (as the bot last saw it; no record on the route)' : ''}`
        : 'no record (the bot never set it)';
      return [`Live: ${live}${split} · last applied by the bot: ${applied}`];
    }
    case 'shadow-env': {
      const e = finding.evidence;
      if (!e) return [];
      const value = (name: string, v: string | undefined) => {
        const source = e.fromRefs?.[name];
        if (source) return `set from ${envSourceText(source, namespace).where}, not readable by the bot`;
        return v === undefined ? '_unset_' : code(v);
      };
      const urlByReference = e.fromRefs?.SHADOW_RUST_GATEWAY_URL !== undefined;
      return [
        `Deployment ${code(e.deployment)}${e.container ? `, container ${code(e.container)}` : ''}: ${code('SHADOW_MODE_ENABLED')} = ${value('SHADOW_MODE_ENABLED', e.enabled)}, ${code('SHADOW_RUST_GATEWAY_URL')} = ${value('SHADOW_RUST_GATEWAY_URL', e.url)}${!urlByReference && e.url !== e.expectedUrl ? ` (expected ${code(e.expectedUrl)})` : ''}`,
      ];
    }
    case 'route-write': {
      const e = finding.evidence;
      if (!e) return [];
      const what = `${code(e.verb)} on ${code(groupResource(e.resource))} ${code(e.resource.name)} in ${code(e.resource.namespace)}`;
      const reason = e.reason ? ` (${plainText(e.reason, 300)})` : '';
      return [`${routeLabel(e.route)}: the API server says the bot ${e.allowed ? '*may*' : '*may not*'} ${what}${reason}`];
    }
    case 'python-rollout': {
      const e = finding.evidence;
      if (!e) return [];
      return [`Deployment ${code(e.name)}: ${e.updated}/${e.desired} updated, ${e.ready} ready, ${e.available} available — ${e.rolloutComplete ? 'rollout complete' : '*rollout in progress*'}`];
    }
    case 'shadow-error-rate':
    case 'shadow-timeout-rate': {
      const e = finding.evidence;
      return e ? [`${finding.check === 'shadow-error-rate' ? 'Error' : 'Timeout'} rate ${rate(e.value, e.max)}`] : [];
    }
    case 'pod-logs': {
      const e = finding.evidence;
      if (!e) return [];
      const lines = [`Pods ${code(e.selector)}: ${e.pods.length}, the last ${e.tailLines} lines of each`];
      if (e.pods.length) {
        lines.push(
          e.pods
            .slice(0, 10)
            .map((p) => `  ${p.problem ? FAIL : PASS} ${code(p.pod)} (${escapeMrkdwn(p.container || 'no container')}): ${p.problem ? problemText(p.problem) : `${p.lines} lines`}`)
            .join('\n') + (e.pods.length > 10 ? `\n  …and ${e.pods.length - 10} more` : ''),
        );
      }
      return lines;
    }
    case 'mismatches': {
      const e = finding.evidence;
      if (!e || e.podsRead === 0) return [];
      const found = e.total + e.notJson.count;
      const lines = [`*${found}* ${code(e.marker)} line${found === 1 ? '' : 's'} in ${e.linesRead} lines of ${e.podsRead} pod${e.podsRead === 1 ? '' : 's'}`];
      if (e.byPath.length) {
        lines.push(
          `By path (most first):\n${e.byPath
            .slice(0, MAX_PATHS)
            .map((c) => `  *${c.count}* ${c.path === null ? '_(no path)_' : code(c.path, 150)}`)
            .join('\n')}${e.byPath.length > MAX_PATHS ? `\n  …and ${e.byPath.length - MAX_PATHS} more paths` : ''}`,
        );
      }
      if (e.samples.length) lines.push(`Samples:\n${e.samples.map((s) => `  ${code(JSON.stringify(s), 700)}`).join('\n')}`);
      if (e.notJson.count) {
        lines.push(`*${e.notJson.count}* line${e.notJson.count === 1 ? '' : 's'} not JSON (counted apart, not by path)${e.notJson.samples.length ? `, e.g. ${code(e.notJson.samples.at(-1)!, 300)}` : ''}`);
      }
      return lines;
    }
  }
}

/** The runbook's "Canary not receiving traffic", step 2: what the traffic layer's controller says, in the router's commands. */
function controllerLogs(commands: string[]): string {
  if (!commands.length) return '';
  return ` The traffic controller's logs say why it skips the route: ${commands.map((c) => `\`${escapeMrkdwn(truncate(c, 400)).replace(/`/g, "'")}\``).join(', ')}.`;
}

function nextText(next: NextAction, finding: Finding, namespace: string): string {
  switch (next.kind) {
    case 'grant':
      return `grant ${code(next.verb)} on ${code(next.resource)} to the bot's ServiceAccount (the rule is in \`deploy/rbac.yaml\`), then run \`/mcp-canary diagnose\` again.`;
    case 'retry':
      return next.what === 'metrics'
        ? 'check that Prometheus answers (`PROMETHEUS_URL`) and the shadow queries have data, then run the diagnosis again.'
        : "check that the Kubernetes API server answers and accepts the bot's credentials, then run the diagnosis again.";
    case 'check-credentials':
      return "give the bot valid credentials: in the cluster its ServiceAccount token (a restart mounts a fresh one), outside it `KUBECONFIG`; then run the diagnosis again.";
    case 'grant-route-write': {
      const r = next.resource;
      const rule = `- apiGroups: ["${r.group}"]\n  resources: ["${r.resource}"]\n  resourceNames: ["${r.name}"]\n  verbs: ["${next.verb}"]`;
      const commands = next.manualCommands.map((c) => truncate(c, 1200)).join('\n');
      return (
        `a rollback would fail. Grant the bot's ServiceAccount ${code(next.verb)} on ${code(groupResource(r))} ${code(r.name)}: add this rule to its Role in ${code(r.namespace)} (\`deploy/rbac.yaml\`):\n\`\`\`${escapeMrkdwn(rule)}\`\`\`\n` +
        `Until then, roll back by hand (runbook, "Rollback not working"):\n\`\`\`${escapeMrkdwn(commands)}\`\`\``
      );
    }
    case 'read-env-source': {
      const reads = next.sources.map((s) => {
        const { where, read } = envSourceText(s.source, namespace);
        return `${code(s.variable)} comes from ${where}${read ? `: ${read}` : ''}`;
      });
      return `read the value where it is set (the bot sees only the reference; \`/mcp-canary shadow on|off\` would replace it with a plain value): ${reads.join('; ')}.`;
    }
    case 'put-route-back':
      return '`/mcp-canary route apply` puts the canary route back at 0% (approvers).';
    case 'align-route': {
      const route = finding.check === 'route-shape' ? finding.evidence?.route : undefined;
      const describe = route ? ` (\`kubectl -n ${escapeMrkdwn(route.namespace)} describe ${escapeMrkdwn(route.kind.toLowerCase())} ${escapeMrkdwn(route.name)}\`)` : '';
      return `make the canary route match: ${plainText(next.aspects.join(', '), 300)}${describe}. Until then it gets no share of the requests.${controllerLogs(next.controllerCommands)}`;
    }
    case 'fix-route-conditions': {
      const route = finding.check === 'route-shape' ? finding.evidence?.route : undefined;
      const describe = route ? `; \`kubectl -n ${escapeMrkdwn(route.namespace)} describe ${escapeMrkdwn(route.kind.toLowerCase())} ${escapeMrkdwn(route.name)}\` shows why` : '';
      return `the traffic layer does not accept the route (${plainText(next.reasons.join('; '), 400)})${describe}.${controllerLogs(next.controllerCommands)}`;
    }
    case 'check-rust-pods':
      return `no Rust pod serves ${code(next.service)}: \`kubectl -n ${escapeMrkdwn(namespace)} describe deployment ${escapeMrkdwn(next.deployment)}\` and its pods' events (\`/mcp-canary status\` shows its readiness).`;
    case 'read-events':
      return `read them: ${next.objects.slice(0, MAX_EVENTS).map((o) => `\`kubectl -n ${escapeMrkdwn(namespace)} get events --field-selector involvedObject.name=${escapeMrkdwn(o.name)},type=Warning\``).join(', ')}.`;
    case 'check-rust-health': {
      const inPod = `\`kubectl exec -it deploy/${escapeMrkdwn(next.deployment)} -n ${escapeMrkdwn(namespace)} -- curl localhost:${next.port}${escapeMrkdwn(next.path)}\``;
      if (finding.check === 'rust-health' && finding.evidence?.fromApiServer) {
        // Ready endpoints, yet no connection: the port or the network, not the pods' readiness.
        return `the Service has ready endpoints but the API server could not connect to them (runbook, "Shadow requests failing"): check that the Service's \`targetPort\` is the port Rust listens on and that no NetworkPolicy blocks it; the runbook's check from inside the pod, ${inPod}, says whether Rust itself answers.`;
      }
      return `the runbook's check from inside the pod: ${inPod}, and the Rust pods' logs.`;
    }
    case 'check-drift':
      return 'the weight was changed outside the bot: `/mcp-canary status` (the drift check announces and adopts it; the hold restarts) and `/mcp-canary history`.';
    case 'turn-shadow-on':
      return `\`/mcp-canary shadow on\` (approvers) sets both, with ${code(next.url)}.`;
    case 'wait-rollout':
      return `let it finish: \`kubectl -n ${escapeMrkdwn(namespace)} rollout status deployment/${escapeMrkdwn(next.deployment)}\`.`;
    case 'check-shadow-path':
      return `check that Python reaches Rust (runbook, "Shadow requests failing"): \`kubectl exec -it deploy/${escapeMrkdwn(next.from)} -n ${escapeMrkdwn(namespace)} -- curl -v ${escapeMrkdwn(next.url)}\`.`;
    case 'compare-responses':
      return `compare Python's and Rust's answers to the same request${next.path === null ? '' : ` on ${code(next.path, 150)}`} (runbook, "High mismatch rate"), and pause the ramp while it lasts.`;
    case 'fix-log-access':
      return `no log could be read: see "${TITLES['pod-logs']}" above.`;
  }
}

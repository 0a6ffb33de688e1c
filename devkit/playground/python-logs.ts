// The Python gateway pods' logs (container `gateway`), generated from the simulated world: what
// `kubectl logs -l app=mcp-gateway-python -c gateway` shows and what `/mcp-canary diagnose mismatches` reads.
//
// While shadow mode is on, Python mirrors every request it serves to Rust and compares the answers; each
// mismatch is one line, a JSON object whose message is "Shadow MISMATCH" with path, method, status_python,
// status_rust and diff (the runbook's `grep "Shadow MISMATCH" | jq -r '.path'` works on it as is), so their
// number follows 1 - the shadow match rate knob and the share of traffic Python serves. The application
// logs JSON (logger, level, msg); uvicorn's access lines are plain text. Around the mismatches: sampled
// access lines, the kubelet's probes, the odd application line, failed shadow requests while Rust is
// unhealthy, the shadow mode switching, and now and then a mismatch line cut short (the log pipeline's
// line limit), which is not JSON.
//
// Deterministic: each pod's 10-second slice of time is drawn from a generator seeded by the pod and the
// slice, so regenerating the log (the playground does every few seconds) never rewrites the past.

export type RustHealth = 'healthy' | '503' | 'hang';

/** What the simulated world was at a time (the knobs' history, the route, shadow mode, Rust's health). */
export interface WorldAt {
  shadowOn: boolean;
  /** Shadow match ratio, e.g. 0.9995. */
  match: number;
  /** Fraction of all requests the Python gateway serves (and mirrors while shadow mode is on). */
  python: number;
  rustHealth: RustHealth;
}

export interface LogLine {
  text: string;
  at: number;
}

export interface McpPath {
  path: string;
  method: string;
  /** Share of requests. */
  traffic: number;
  /** Share of shadow mismatches. */
  mismatch: number;
  diffs: string[];
}

/** The MCP gateway's endpoints as the playground simulates them: tools/call carries most traffic and most mismatches. */
export const MCP_PATHS: McpPath[] = [
  {
    path: '/mcp/v1/tools/call',
    method: 'POST',
    traffic: 0.52,
    mismatch: 0.58,
    diffs: [
      '$.result.content[0].text: strings differ at offset 212 (python 1843 chars, rust 1842 chars)',
      '$.result.structuredContent.score: 0.30000000000000004 != 0.3 (float precision)',
      '$.result.isError: present in python (false), missing in rust',
      '$.result.content[0].annotations: key order differs (priority, audience)',
      '$.result.content[1]: missing in rust (python has 2 content items, rust 1)',
    ],
  },
  {
    path: '/mcp/v1/resources/read',
    method: 'POST',
    traffic: 0.18,
    mismatch: 0.21,
    diffs: [
      '$.result.contents[0].mimeType: "text/markdown" != "text/plain"',
      '$.result.contents[0].text: trailing newline in python only',
      '$.result.contents[0].blob: base64 padding differs',
    ],
  },
  {
    path: '/mcp/v1/tools/list',
    method: 'POST',
    traffic: 0.14,
    mismatch: 0.09,
    diffs: ['$.result.tools[7].inputSchema.properties: key order differs', '$.result.tools: 42 items != 41 items (missing "github.create_gist")'],
  },
  {
    path: '/mcp/v1/prompts/get',
    method: 'POST',
    traffic: 0.08,
    mismatch: 0.08,
    diffs: ['$.result.messages[0].content.text: whitespace differs (python "\\n\\n", rust "\\n")', '$.result.description: missing in rust'],
  },
  {
    path: '/mcp/v1/resources/list',
    method: 'POST',
    traffic: 0.05,
    mismatch: 0.03,
    diffs: ['$.result.nextCursor: present in python, missing in rust'],
  },
  {
    path: '/mcp/v1/initialize',
    method: 'POST',
    traffic: 0.03,
    mismatch: 0.01,
    diffs: ['$.result.capabilities.logging: present in python, missing in rust'],
  },
];

/** Requests per second the whole gateway serves (the same figure the Prometheus model's mismatch rate uses). */
export const REQUESTS_PER_SECOND = 140;
/** The seeded Python pods (the simulated cluster has two) share Python's traffic. */
const SLICE_MS = 10_000;
const MAX_MISMATCHES_PER_SLICE = 120;
const MAX_LINES_PER_POD = 8_000;
/** One mismatch line in this many is cut short (not JSON). */
const TRUNCATED_ONE_IN = 40;
const TOOLS = ['jira.search_issues', 'github.list_pull_requests', 'confluence.get_page', 'slack.post_message', 'pagerduty.list_incidents'];
const CLIENTS = ['claude-desktop/0.9.2', 'cursor/1.4.1', 'mcp-inspector/0.16.0', 'stoa-agent/2.3.0'];

/** mulberry32: a small deterministic generator in [0, 1). */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

function pick<T>(items: T[], r: number, weight: (item: T) => number): T {
  const total = items.reduce((sum, i) => sum + weight(i), 0);
  let x = r * total;
  for (const item of items) {
    x -= weight(item);
    if (x < 0) return item;
  }
  return items[items.length - 1]!;
}

const hex = (rnd: () => number, n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
const iso = (t: number) => new Date(t).toISOString();

/** The marker the runbook greps for (and the bot's diagnose looks for). */
export const MISMATCH_MARKER = 'Shadow MISMATCH';

/** An application log line: one JSON object (python-json-logger's shape). */
function appLine(at: number, level: 'INFO' | 'WARNING', logger: string, msg: string, fields: Record<string, unknown> = {}): LogLine {
  return { at, text: JSON.stringify({ ts: iso(at), level, logger, msg, ...fields }) };
}

export class PythonGatewayLogs {
  private readonly cache = new Map<string, LogLine[]>();

  constructor(
    private readonly pods: string[],
    private readonly rustUrl: string,
  ) {}

  /**
   * The `gateway` container's log of each pod over the `windowMs` before `now` (simulated time):
   * `world(t)` says what the world was at t, `changes` when shadow mode switched (a line each).
   */
  generate(now: number, windowMs: number, world: (t: number) => WorldAt, changes: Array<{ at: number; shadowOn: boolean }>): Map<string, LogLine[]> {
    const first = Math.floor((now - windowMs) / SLICE_MS);
    const last = Math.floor(now / SLICE_MS);
    const out = new Map<string, LogLine[]>();
    const keep = new Set<string>();
    this.pods.forEach((pod, podIndex) => {
      let lines: LogLine[] = [];
      for (let slice = first; slice <= last; slice++) {
        const start = slice * SLICE_MS;
        const w = world(start);
        const key = `${pod}|${slice}|${w.shadowOn}|${w.match}|${w.python}|${w.rustHealth}`;
        let got = this.cache.get(key);
        if (!got) {
          got = this.slice(podIndex, slice, w);
          // Only slices wholly past are final: the current one is drawn again with what is known then.
          if (start + SLICE_MS <= now) this.cache.set(key, got);
        }
        if (start + SLICE_MS <= now) keep.add(key);
        lines.push(...(start + SLICE_MS <= now ? got : got.filter((l) => l.at <= now)));
      }
      for (const change of changes) {
        if (change.at > now - windowMs && change.at <= now) {
          lines.push(
            change.shadowOn
              ? appLine(change.at, 'INFO', 'mcp_gateway.shadow', `Shadow mode enabled: mirroring requests to ${this.rustUrl}`, { timeout_s: 5, compare: 'json', normalize: ['timestamps'] })
              : appLine(change.at, 'INFO', 'mcp_gateway.shadow', 'Shadow mode disabled'),
          );
        }
      }
      lines.sort((a, b) => a.at - b.at);
      if (lines.length > MAX_LINES_PER_POD) lines = lines.slice(-MAX_LINES_PER_POD);
      out.set(pod, lines);
    });
    for (const key of this.cache.keys()) if (!keep.has(key)) this.cache.delete(key);
    return out;
  }

  /** One pod's lines for one 10-second slice. */
  private slice(podIndex: number, slice: number, w: WorldAt): LogLine[] {
    const rnd = generator(hashOf(`${podIndex}:${slice}`));
    const start = slice * SLICE_MS;
    const lines: LogLine[] = [];
    const at = () => start + Math.floor(rnd() * SLICE_MS);
    const client = () => `10.244.0.${10 + Math.floor(rnd() * 4)}:${32768 + Math.floor(rnd() * 28000)}`;

    // The kubelet's readiness probe, every 10 s.
    lines.push({ at: start + 1000 + podIndex * 3700, text: `INFO:     172.18.0.${2 + podIndex}:${40000 + Math.floor(rnd() * 20000)} - "GET /health HTTP/1.1" 200 OK` });
    // Sampled access lines (1 request in ~300), in proportion to what Python serves.
    const sampled = Math.floor(w.python * 4 + rnd());
    for (let i = 0; i < sampled; i++) {
      const p = pick(MCP_PATHS, rnd(), (x) => x.traffic);
      const status = rnd() < 0.004 ? '500 Internal Server Error' : '200 OK';
      lines.push({ at: at(), text: `INFO:     ${client()} - "${p.method} ${p.path} HTTP/1.1" ${status}` });
    }
    if (rnd() < 0.25 * w.python) lines.push(appLine(at(), 'INFO', 'mcp_gateway.sessions', 'session initialized', { session: hex(rnd, 8), client: CLIENTS[Math.floor(rnd() * CLIENTS.length)] }));
    if (rnd() < 0.12 * w.python) lines.push(appLine(at(), 'WARNING', 'mcp_gateway.tools', 'slow tool call', { tool: TOOLS[Math.floor(rnd() * TOOLS.length)], duration_s: Number((2 + rnd() * 3).toFixed(2)) }));

    if (w.shadowOn && w.python > 0) {
      // Each pod mirrors its half of Python's requests.
      const mirrored = (REQUESTS_PER_SECOND * w.python * SLICE_MS) / 1000 / Math.max(1, this.pods.length);
      if (w.rustHealth !== 'healthy') {
        // Nothing is compared while Rust does not answer: the shadow client logs its failures, rate-limited.
        lines.push(
          appLine(start + 5000 + podIndex * 900, 'WARNING', 'mcp_gateway.shadow', 'Shadow request failed, not compared', {
            target: this.rustUrl,
            error: w.rustHealth === '503' ? 'HTTP 503 Service Unavailable' : 'timed out after 5.0s',
            failed_last_10s: Math.round(mirrored),
          }),
        );
      } else {
        const expected = mirrored * Math.max(0, 1 - w.match);
        const count = Math.min(MAX_MISMATCHES_PER_SLICE, Math.floor(expected) + (rnd() < expected - Math.floor(expected) ? 1 : 0));
        for (let i = 0; i < count; i++) lines.push(this.mismatch(rnd, at()));
      }
    }
    return lines.sort((a, b) => a.at - b.at);
  }

  private mismatch(rnd: () => number, at: number): LogLine {
    const p = pick(MCP_PATHS, rnd(), (x) => x.mismatch);
    const statusDiffers = rnd() < 0.08;
    const statusRust = statusDiffers ? (rnd() < 0.5 ? 500 : 422) : 200;
    const record: Record<string, unknown> = {
      ts: iso(at),
      level: 'WARNING',
      logger: 'mcp_gateway.shadow',
      msg: MISMATCH_MARKER,
      request_id: `${hex(rnd, 8)}-${hex(rnd, 4)}-${hex(rnd, 4)}`,
      method: p.method,
      path: p.path,
      status_python: 200,
      status_rust: statusRust,
      diff: statusDiffers ? `status ${200} != ${statusRust}` : p.diffs[Math.floor(rnd() * p.diffs.length)],
      latency_python_ms: 40 + Math.floor(rnd() * 160),
      latency_rust_ms: 12 + Math.floor(rnd() * 60),
    };
    if (p.path.endsWith('/tools/call')) record.tool = TOOLS[Math.floor(rnd() * TOOLS.length)];
    const text = JSON.stringify(record);
    if (rnd() * TRUNCATED_ONE_IN < 1) {
      // Cut inside the JSON (after the path, before the end): what a line limit leaves.
      const cut = text.indexOf('"diff":') + 12 + Math.floor(rnd() * 20);
      return { at, text: text.slice(0, Math.min(cut, text.length - 2)) };
    }
    return { at, text };
  }
}

/** The Envoy sidecar's log (container `sidecar`): a few lines from its start, nothing about shadow traffic. */
export function sidecarLog(startedAt: number): LogLine[] {
  const stamp = (t: number) => `[${new Date(t).toISOString().replace('T', ' ').replace('Z', '')}]`;
  return [
    { at: startedAt, text: `${stamp(startedAt)}[1][info][main] [source/server/server.cc:430] initializing epoch 0 (base id=0, hot restart version=11.104)` },
    { at: startedAt + 40, text: `${stamp(startedAt + 40)}[1][info][main] [source/server/server.cc:937] starting main dispatch loop` },
    { at: startedAt + 2100, text: `${stamp(startedAt + 2100)}[1][info][upstream] [source/common/upstream/cluster_manager_impl.cc:246] cm init: all clusters initialized` },
  ];
}

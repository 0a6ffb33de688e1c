// The REAL Debian servers for end-to-end tests: /usr/bin/prometheus (2.42) and
// /usr/bin/prometheus-alertmanager (0.25), each on a free port of 127.0.0.1 with its own temp dir
// (config + storage, removed on exit), never outliving the test process (child-process.ts).
// Plus a scrapeable metrics endpoint whose values the test sets, and withShortFor() to run the
// production rule file with `for: 0s`.
//
// Install: `bash scripts/install-test-deps.sh` (Debian packages prometheus, prometheus-alertmanager).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve as resolvePath } from 'node:path';
import { dump, load } from 'js-yaml';
import { freePort, spawnGuarded, waitFor, type GuardedChild } from './child-process.js';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';
const INSTALL_HINT = 'install the Debian packages prometheus and prometheus-alertmanager (bash scripts/install-test-deps.sh)';

// ---------------------------------------------------------------------------------------------
// Metrics endpoint
// ---------------------------------------------------------------------------------------------

export interface MetricsEndpoint {
  /** http://127.0.0.1:PORT/metrics */
  url: string;
  port: number;
  /** host:port, as a Prometheus scrape target. */
  target: string;
  /** Sets one series (creating it). Histograms: set the `_bucket` series (with `le`, including "+Inf") directly. */
  set(name: string, labels: Record<string, string>, value: number): void;
  /** Adds `by` (default 1) to one series, creating it at 0 first. */
  inc(name: string, labels: Record<string, string>, by?: number): void;
  close(): Promise<void>;
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/**
 * Serves the Prometheus text exposition format (0.0.4) at /metrics, with a TYPE line per family:
 * `*_bucket` (and the matching `_sum`/`_count`) is a histogram, `*_total` a counter, the rest gauges.
 */
export async function startMetricsEndpoint(): Promise<MetricsEndpoint> {
  // name -> (canonical label key -> series)
  const series = new Map<string, Map<string, { labels: Record<string, string>; value: number }>>();

  const slot = (name: string, labels: Record<string, string>) => {
    if (!NAME_RE.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
    for (const k of Object.keys(labels)) {
      if (!LABEL_RE.test(k) || k.startsWith('__')) throw new Error(`invalid label name ${JSON.stringify(k)} on ${name}`);
    }
    const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const key = JSON.stringify(sorted);
    let byLabels = series.get(name);
    if (!byLabels) series.set(name, (byLabels = new Map()));
    let s = byLabels.get(key);
    if (!s) byLabels.set(key, (s = { labels: sorted, value: 0 }));
    return s;
  };

  const render = (): string => {
    const names = [...series.keys()];
    const histogramBases = new Set(names.filter((n) => n.endsWith('_bucket')).map((n) => n.slice(0, -'_bucket'.length)));
    // family name -> { type, member metric names }
    const families = new Map<string, { type: string; members: string[] }>();
    for (const name of names.sort()) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      let family: string;
      let type: string;
      if (base !== name && histogramBases.has(base)) {
        family = base;
        type = 'histogram';
      } else if (name.endsWith('_total')) {
        family = name;
        type = 'counter';
      } else {
        family = name;
        type = 'gauge';
      }
      const f = families.get(family) ?? { type, members: [] };
      f.members.push(name);
      families.set(family, f);
    }
    const lines: string[] = [];
    for (const [family, { type, members }] of families) {
      lines.push(`# TYPE ${family} ${type}`);
      for (const name of members) {
        for (const { labels, value } of series.get(name)!.values()) {
          const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
          lines.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
        }
      }
    }
    return lines.join('\n') + '\n';
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      const body = render();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    port,
    target: `127.0.0.1:${port}`,
    set(name, labels, value) {
      slot(name, labels).value = value;
    },
    inc(name, labels, by = 1) {
      slot(name, labels).value += by;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Shared start logic for both servers
// ---------------------------------------------------------------------------------------------

export interface RealServer {
  /** http://127.0.0.1:PORT (no trailing slash) */
  url: string;
  port: number;
  /** SIGTERM, wait for exit, remove the temp dir. Idempotent. */
  close(): Promise<void>;
  /** The tail of the server's stdout + stderr. */
  logs(): string;
}

async function isReady(url: string): Promise<true | undefined> {
  const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
  await res.arrayBuffer();
  if (res.ok) return true;
  throw new Error(`/-/ready answered HTTP ${res.status}`);
}

/**
 * Writes the server's files into a fresh temp dir, spawns it on a free port and waits for /-/ready.
 * A port taken between probing and binding makes the server exit: retried on a new port (3 tries).
 */
async function startServer(
  name: string,
  bin: string,
  prepare: (dir: string, port: number) => Promise<string[]>,
  timeoutMs: number,
): Promise<RealServer> {
  if (!existsSync(bin)) throw new Error(`${bin} not found: ${INSTALL_HINT}`);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), `${name}-test-`));
    const args = await prepare(dir, port);
    const child: GuardedChild = spawnGuarded(bin, args, { name, removeOnExit: dir, cwd: dir });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitFor(`${name} /-/ready on port ${port}`, () => isReady(url), { timeoutMs, intervalMs: 100, child });
      return { url, port, close: () => child.stop(), logs: () => child.logs() };
    } catch (err) {
      lastError = err;
      await child.stop();
      if (!/address already in use/i.test(child.logs())) break;
    }
  }
  throw lastError;
}

// ---------------------------------------------------------------------------------------------
// Alertmanager
// ---------------------------------------------------------------------------------------------

export interface RealAlertmanagerOptions {
  /** Where the webhook receiver POSTs (version 4 payload). */
  webhookUrl: string;
  /** Sent as `Authorization: Bearer <token>` (http_config.authorization.credentials). */
  bearerToken: string;
  /** Route timings; defaults 1s / 1s / 1h (production uses 10s / 1m / 1h). */
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
}

/**
 * Real Alertmanager with one route (group_by [alertname]) to a webhook receiver named `mcp-canary`
 * (send_resolved, all alerts, bearer token). Clustering disabled. Resolves once /-/ready answers 200.
 */
export async function startRealAlertmanager(opts: RealAlertmanagerOptions): Promise<RealServer> {
  return startServer(
    'alertmanager',
    ALERTMANAGER_BIN,
    async (dir, port) => {
      const config = {
        route: {
          receiver: 'mcp-canary',
          group_by: ['alertname'],
          group_wait: opts.groupWait ?? '1s',
          group_interval: opts.groupInterval ?? '1s',
          repeat_interval: opts.repeatInterval ?? '1h',
        },
        receivers: [
          {
            name: 'mcp-canary',
            webhook_configs: [
              {
                url: opts.webhookUrl,
                send_resolved: true,
                max_alerts: 0,
                http_config: { authorization: { type: 'Bearer', credentials: opts.bearerToken } },
              },
            ],
          },
        ],
      };
      const configFile = join(dir, 'alertmanager.yml');
      await writeFile(configFile, dump(config));
      return [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.external-url=http://127.0.0.1:${port}`,
        // Empty: no cluster listener (no gossip port, no peers, no settle wait).
        '--cluster.listen-address=',
        '--log.level=debug',
      ];
    },
    15_000,
  );
}

// ---------------------------------------------------------------------------------------------
// Prometheus
// ---------------------------------------------------------------------------------------------

export interface RealPrometheusOptions {
  /** host:port targets, scraped at /metrics in one job. */
  scrapeTargets: string[];
  /** Rule files (paths), loaded as given (absolute paths recommended; relative ones resolve from process.cwd()). */
  ruleFiles: string[];
  /** Alertmanager base URL (http://host:port[/prefix]); omitted: no alerting section. */
  alertmanagerUrl?: string;
  /** Global scrape_interval (default 1s). */
  scrapeInterval?: string;
  /** Global evaluation_interval (default: the scrape interval). */
  evaluationInterval?: string;
  /**
   * Job name of the scrape job, i.e. the `job` label (default "mcp-gateway-rust", the job the
   * rules' MCPRustGatewayDown watches; with another name that alert fires via absent()).
   */
  jobName?: string;
}

/** Real Prometheus with a generated prometheus.yml; resolves once /-/ready answers 200 (config and rules loaded). */
export async function startRealPrometheus(opts: RealPrometheusOptions): Promise<RealServer> {
  const scrapeInterval = opts.scrapeInterval ?? '1s';
  const ruleFiles = opts.ruleFiles.map((f) => resolvePath(f));
  for (const f of ruleFiles) if (!existsSync(f)) throw new Error(`rule file not found: ${f}`);
  return startServer(
    'prometheus',
    PROMETHEUS_BIN,
    async (dir, port) => {
      const config: Record<string, unknown> = {
        global: {
          scrape_interval: scrapeInterval,
          scrape_timeout: scrapeInterval, // must not exceed the interval (default 10s would)
          evaluation_interval: opts.evaluationInterval ?? scrapeInterval,
        },
        rule_files: ruleFiles,
        scrape_configs: [
          {
            job_name: opts.jobName ?? 'mcp-gateway-rust',
            metrics_path: '/metrics',
            static_configs: [{ targets: opts.scrapeTargets }],
          },
        ],
      };
      if (opts.alertmanagerUrl) {
        const am = new URL(opts.alertmanagerUrl);
        config.alerting = {
          alertmanagers: [
            {
              scheme: am.protocol.replace(':', ''),
              path_prefix: am.pathname,
              api_version: 'v2',
              static_configs: [{ targets: [am.host] }],
            },
          ],
        };
      }
      const configFile = join(dir, 'prometheus.yml');
      await writeFile(configFile, dump(config));
      return [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.external-url=http://127.0.0.1:${port}`,
        // Debian's defaults point at /etc/prometheus/consoles{,_libraries}; unused here and
        // harmless when absent, but pin them to the temp dir so nothing depends on /etc.
        `--web.console.templates=${join(dir, 'consoles')}`,
        `--web.console.libraries=${join(dir, 'console_libraries')}`,
        '--log.level=debug',
      ];
    },
    20_000,
  );
}

// ---------------------------------------------------------------------------------------------
// Rule files with short `for:`
// ---------------------------------------------------------------------------------------------

let shortForDir: string | undefined;

/**
 * Writes a temp copy of a Prometheus rule file with every alerting rule's `for:` set to
 * `forValue` (default "0s": fire at the first evaluation where the expression is true), so an
 * end-to-end test can use the production expressions without waiting minutes. Returns its
 * absolute path; the copies are removed when the test process exits.
 */
export function withShortFor(ruleFile: string, forValue = '0s'): string {
  const doc = load(readFileSync(ruleFile, 'utf8')) as { groups?: Array<{ rules?: Array<Record<string, unknown>> }> } | null;
  if (!doc || !Array.isArray(doc.groups)) throw new Error(`${ruleFile}: not a Prometheus rule file (no top-level groups)`);
  for (const group of doc.groups) {
    for (const rule of group.rules ?? []) {
      if (typeof rule.alert === 'string') rule.for = forValue;
    }
  }
  if (!shortForDir) {
    const dir = mkdtempSync(join(tmpdir(), 'rules-short-for-'));
    shortForDir = dir;
    // vitest may end a worker without an 'exit' event: a guarded idle process removes the dir
    // when this process goes away, however it goes (same stdin-pipe wrapper as the servers).
    spawnGuarded('/bin/sleep', ['2147483647'], { name: 'rules-janitor', removeOnExit: dir });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const out = join(mkdtempSync(join(shortForDir, 'r-')), basename(ruleFile));
  writeFileSync(out, dump(doc, { lineWidth: -1 }));
  return out;
}

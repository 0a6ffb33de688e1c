// The playground's one HTTP server: the page (GET /, /page.css, /page.js: the files in page/), its JSON and
// Server-Sent Events API (/ui/...), and the local Slack the bot talks to (devkit/slack-api.ts): the Web API
// (/api/<method>), response URLs (/response/<id>), file uploads (/upload/<id>) and the uploaded files (/files/<id>/<name>).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer, readBody, sendJson } from '../http-util.js';
import type { LocalSlackApi, SlackMessage } from '../slack-api.js';
import { PAGE_FILES } from './page-files.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** What the knobs panel shows and changes; implemented by the playground's composition (playground.ts). */
export interface PlaygroundControls {
  /** Knobs, alerts, clock, the simulated cluster and the world (router), as JSON for the page. */
  snapshot(): Record<string, unknown>;
  /** Changes whenever something the page shows may have changed outside the workspace (cluster, clock, world). */
  signature(): string;
  setKnobs(changes: Record<string, unknown>): Promise<void>;
  setAlert(name: string, firing: boolean): Promise<{ ok: boolean; error?: string }>;
  advanceClock(ms: number): Promise<void>;
  /** Puts the canary route back by hand: re-applies the canary Ingress, or adds the Rust backendRef back to the HTTPRoute. */
  reapplyRoute(): Promise<{ ok: boolean; error?: string }>;
  /** Sets the canary weight by hand (kubectl annotate / kubectl edit): the bot reports the drift. */
  setWeightOutOfBand(percent: number): Promise<{ ok: boolean; error?: string }>;
  /** Removes the canary route by hand: deletes the canary Ingress, or the Rust backendRef of the split rules. */
  removeCanaryByHand(): Promise<{ ok: boolean; error?: string }>;
  /** healthy, 503 or hang: the Rust Service's health through the API server's proxy, its endpoints and events. */
  setRustHealth(mode: string): Promise<{ ok: boolean; error?: string }>;
  /** Restarts the simulated world (bot included) on the other traffic router. */
  switchRouter(router: string): Promise<{ ok: boolean; error?: string }>;
}

export interface PageServer {
  url: string;
  port: number;
  /** Tells every open page to reload its state. */
  notify(): void;
  close(): Promise<void>;
}

const PAGE: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: PAGE_FILES.html },
  '/index.html': { type: 'text/html; charset=utf-8', body: PAGE_FILES.html },
  '/page.css': { type: 'text/css; charset=utf-8', body: PAGE_FILES.css },
  '/page.js': { type: 'text/javascript; charset=utf-8', body: PAGE_FILES.js },
};

/** A message as the page's script reads it. */
function pageMessage(m: SlackMessage): Record<string, unknown> {
  return {
    ts: m.ts,
    channel: m.channel,
    threadTs: m.thread_ts,
    author: m.user,
    ephemeralFor: m.ephemeralFor,
    text: m.text,
    blocks: m.blocks,
    files: m.files,
    invokedWith: m.invokedWith,
    system: m.system,
    editedAt: m.editedAt,
    postedAt: m.postedAt,
  };
}

export async function startPageServer(options: {
  port: number;
  /** The playground's local Slack (a closed workspace), served by this server. */
  workspace: () => LocalSlackApi;
  controls: () => PlaygroundControls;
}): Promise<PageServer> {
  const streams = new Set<ServerResponse>();
  let version = 0;
  let lastSignature = '';

  const notify = () => {
    version++;
    for (const res of streams) res.write(`event: change\ndata: ${version}\n\n`);
  };

  function state(user: string): Record<string, unknown> {
    const ws = options.workspace();
    return {
      version,
      me: user,
      bot: { id: ws.identity.bot.userId, botId: ws.identity.bot.botId, name: ws.identity.bot.name },
      users: ws.users,
      channel: ws.channel,
      messages: ws.visibleTo(user).map(pageMessage),
      home: ws.homeViews.get(user) ?? null,
      controls: options.controls().snapshot(),
    };
  }

  async function uiPost(path: string, body: any): Promise<unknown> {
    const ws = options.workspace();
    const controls = options.controls();
    const user = typeof body?.user === 'string' ? body.user : '';
    switch (path) {
      case '/ui/command': {
        const text = String(body?.text ?? '').trim();
        const threadTs = body?.threadTs ? String(body.threadTs) : undefined;
        const slash = /^\/mcp-canary(?:\s+|$)/.exec(text);
        if (slash) return ws.slashCommand(user, text.slice(slash[0].length).trim(), threadTs);
        if (text.startsWith('/')) return { ok: false, error: `${text.split(/\s/)[0]} is not a valid command here: try /mcp-canary help` };
        if (!text) return { ok: false, error: 'empty message' };
        ws.say(user, text, threadTs);
        return { ok: true };
      }
      case '/ui/action':
        return ws.click({
          user,
          surface: body?.surface === 'home' ? 'home' : 'message',
          messageTs: body?.messageTs ? String(body.messageTs) : undefined,
          blockId: body?.blockId ? String(body.blockId) : undefined,
          actionId: String(body?.actionId ?? ''),
          value: body?.value === undefined || body.value === null ? undefined : String(body.value),
        });
      case '/ui/home':
        return ws.openHome(user);
      case '/ui/dismiss':
        ws.dismiss(user, String(body?.ts ?? ''));
        return { ok: true };
      case '/ui/knobs':
        await controls.setKnobs(typeof body === 'object' && body ? body : {});
        notify();
        return { ok: true };
      case '/ui/alert': {
        const result = await controls.setAlert(String(body?.name ?? ''), body?.firing === true);
        notify();
        return result;
      }
      case '/ui/clock':
        await controls.advanceClock(Number(body?.advanceMs ?? 0));
        notify();
        return { ok: true };
      case '/ui/route': {
        const action = String(body?.action ?? '');
        const result =
          action === 'reapply'
            ? await controls.reapplyRoute()
            : action === 'remove'
              ? await controls.removeCanaryByHand()
              : action === 'weight'
                ? await controls.setWeightOutOfBand(Number(body?.percent))
                : { ok: false, error: `unknown route action "${action}"` };
        notify();
        return result;
      }
      case '/ui/rust-health': {
        const result = await controls.setRustHealth(String(body?.mode ?? ''));
        notify();
        return result;
      }
      case '/ui/router':
        return controls.switchRouter(String(body?.router ?? ''));
      default:
        return undefined;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const path = url.pathname;

    const file = method === 'GET' ? PAGE[path] : undefined;
    if (file) {
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' });
      res.end(file.body);
      return;
    }
    if (method === 'GET' && path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (method === 'GET' && path === '/ui/state') {
      return sendJson(res, 200, state(url.searchParams.get('user') ?? ''), { 'cache-control': 'no-store' });
    }
    if (method === 'GET' && path === '/ui/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`retry: 1000\nevent: change\ndata: ${version}\n\n`);
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (path.startsWith('/ui/') && method === 'POST') {
      const raw = await readBody(req);
      let body: unknown = {};
      if (raw.length) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          return sendJson(res, 400, { ok: false, error: 'invalid JSON' });
        }
      }
      const result = await uiPost(path, body);
      if (result === undefined) return sendJson(res, 404, { ok: false, error: 'unknown action' });
      return sendJson(res, 200, result);
    }
    // The Slack side the bot talks to.
    if (await options.workspace().handle(req, res)) return;
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }

  const server = new LocalServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: String((error as Error)?.message ?? error) });
      else res.destroy();
    });
  });
  server.port = options.port;
  await server.start();

  // The cluster and the clock change outside the workspace (the bot patches the Ingress through the API):
  // look for changes twice a second and tell the pages.
  const watch = setInterval(() => {
    let signature: string;
    try {
      signature = options.controls().signature();
    } catch {
      return;
    }
    if (signature !== lastSignature) {
      lastSignature = signature;
      notify();
    }
  }, 500);
  watch.unref();
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();

  return {
    url: server.url,
    port: server.port,
    notify,
    async close() {
      clearInterval(watch);
      clearInterval(heartbeat);
      for (const res of streams) res.end();
      streams.clear();
      await server.stop();
    },
  };
}

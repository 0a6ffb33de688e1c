// The playground's one HTTP server: the page (GET /), its JSON and Server-Sent Events API (/ui/...), and the
// Slack side the bot talks to: the Web API (/api/<method>), response URLs (/response/<id>), file uploads
// (/upload/<id>) and the uploaded files (/files/<id>/<name>).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer, mediaType, readBody, sendJson } from './http-util.js';
import { PLAYGROUND_PAGE } from './page.js';
import { BOT_USER, type SlackWorkspace } from './slack-workspace.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** What the knobs panel shows and changes; implemented by the playground's composition (main.ts). */
export interface PlaygroundControls {
  /** Knobs, alerts, clock and the simulated cluster, as JSON for the page. */
  snapshot(): Record<string, unknown>;
  /** Changes whenever something the page shows may have changed outside the workspace (cluster, clock). */
  signature(): string;
  setKnobs(changes: Record<string, unknown>): Promise<void>;
  setAlert(name: string, firing: boolean): Promise<{ ok: boolean; error?: string }>;
  advanceClock(ms: number): Promise<void>;
  reapplyIngress(): Promise<{ ok: boolean; error?: string }>;
  setWeightOutOfBand(percent: number): Promise<{ ok: boolean; error?: string }>;
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

export interface PageServer {
  url: string;
  port: number;
  /** Tells every open page to reload its state. */
  notify(): void;
  close(): Promise<void>;
}

export async function startPageServer(options: {
  port: number;
  workspace: () => SlackWorkspace;
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
      bot: BOT_USER,
      users: ws.users,
      channel: ws.channel,
      messages: ws.visibleTo(user),
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
      case '/ui/ingress': {
        const result = body?.action === 'reapply' ? await controls.reapplyIngress() : await controls.setWeightOutOfBand(Number(body?.percent));
        notify();
        return result;
      }
      default:
        return undefined;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const path = url.pathname;

    if (method === 'GET' && (path === '/' || path === '/index.html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PLAYGROUND_PAGE);
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
    const parts = path.split('/').filter(Boolean);
    if (method === 'GET' && parts[0] === 'files' && parts[1]) {
      const file = options.workspace().files.get(parts[1]);
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('file not found');
        return;
      }
      res.writeHead(200, { 'content-type': file.mimetype, 'content-length': String(file.bytes.length), 'cache-control': 'max-age=3600' });
      res.end(file.bytes);
      return;
    }
    if (method !== 'POST') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }

    const raw = await readBody(req);
    if (parts[0] === 'api' && parts[1]) {
      const answer = options.workspace().webApi(parts[1], await webApiArgs(req, raw, url));
      return sendJson(res, answer.status, answer.body);
    }
    if (parts[0] === 'response' && parts[1]) {
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return sendJson(res, 400, { ok: false, error: 'invalid_json' });
      }
      const answer = options.workspace().respond(parts[1], body);
      return sendJson(res, answer.status, answer.body);
    }
    if (parts[0] === 'upload' && parts[1]) {
      const bytes = await uploadBytes(req, raw);
      if (!options.workspace().receiveUpload(parts[1], bytes)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('unknown upload');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${bytes.length}`);
      return;
    }
    if (parts[0] === 'ui') {
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

// Reading request bodies with a size limit, and the guard in front of Bolt's /slack/events.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SlackSignatureVerifier } from './slack-signature.js';

export function readLimited(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** 413 and close the connection rather than drain a body we will not use. */
export function refuseTooLarge(req: IncomingMessage, res: ServerResponse, max: number): void {
  res.setHeader('connection', 'close');
  res.writeHead(413, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: `body larger than ${max} bytes` }));
  res.once('finish', () => req.socket.destroy());
}

/**
 * Buffers a Slack request (Bolt then uses `req.rawBody` as is), checks its signature before anything
 * parses it (401, as Bolt would; Bolt's own check is turned off), and refuses, with 400, signed bodies
 * Bolt would choke on: an interaction `payload` or a JSON body that is not an object makes Bolt 5 throw
 * outside any handler and leave the request unanswered. Bolt answers `ssl_check` itself.
 */
export async function guardSlackRequest(
  req: IncomingMessage,
  res: ServerResponse,
  max: number,
  signatures: SlackSignatureVerifier,
  onRefused: (status: number, reason: string) => void = () => {},
): Promise<boolean> {
  const raw = await readLimited(req, max).catch(() => undefined);
  if (raw === undefined) {
    res.writeHead(400).end();
    return false;
  }
  if (raw === 'too-large') {
    onRefused(413, `body larger than ${max} bytes`);
    refuseTooLarge(req, res, max);
    return false;
  }
  const signature = signatures.verify(req.headers, raw);
  if (!signature.ok) {
    onRefused(401, signature.reason);
    res.writeHead(401).end();
    return false;
  }
  (req as IncomingMessage & { rawBody?: Buffer }).rawBody = raw;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  let problem: string | undefined;
  if (type === 'application/x-www-form-urlencoded') {
    const payload = new URLSearchParams(raw.toString('utf8')).get('payload');
    if (payload !== null) problem = interactionProblem(payload);
  } else if (type === 'application/json' && parseObject(raw.toString('utf8')) === undefined) {
    problem = 'not a JSON object';
  }
  if (problem) {
    onRefused(400, problem);
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'malformed Slack request body' }));
    return false;
  }
  return true;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Slack's interaction payloads always carry a type and the user; button clicks carry their action. */
function interactionProblem(payload: string): string | undefined {
  const value = parseObject(payload);
  if (!value) return 'payload is not a JSON object';
  if (typeof value.type !== 'string') return 'payload without a type';
  if (typeof (value.user as { id?: unknown } | undefined)?.id !== 'string') return 'payload without a user';
  if (value.type === 'block_actions') {
    const actions = value.actions;
    if (!Array.isArray(actions) || !actions.length || actions.some((a) => typeof (a as { action_id?: unknown })?.action_id !== 'string')) return 'block_actions without actions';
  }
  return undefined;
}

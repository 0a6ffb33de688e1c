// The ack-latency load generator, run in a worker thread so its timing never waits behind the fake
// servers' work on the main thread (they answer the bot's follow-up requests).
import { parentPort, workerData } from 'node:worker_threads';
import { signSlackRequest, slashCommandBody } from '../test/support/slack-requests.js';
import { BenchClient, pool } from './http-client.js';

export interface AckLoadInput {
  botUrl: string;
  signingSecret: string;
  user: string;
  channel: string;
  /** response_url for command i: `${responseUrlBase}/ack-${i}`. */
  responseUrlBase: string;
  commands: number;
  concurrency: number;
  /** Open the keep-alive connections before the measured commands. */
  warmConnections: boolean;
}

export interface AckSample {
  i: number;
  ms: number;
  status: number;
  /** The ack's body carried the status message itself (blocks), so no response_url POST follows. */
  answeredInAck: boolean;
  error?: string;
  connectMs?: number;
  writtenMs?: number;
  /** Wall clock (ms since the epoch, sub-ms) when the request was sent. */
  sentAt: number;
}

export interface AckLoadOutput {
  samples: AckSample[];
  wallMs: number;
}

async function run(input: AckLoadInput): Promise<AckLoadOutput> {
  const client = new BenchClient(input.concurrency);
  if (input.warmConnections) await Promise.all(Array.from({ length: input.concurrency }, () => client.get(`${input.botUrl}/healthz`)));
  const samples: AckSample[] = [];
  const start = performance.now();
  await pool(input.commands, input.concurrency, async (i) => {
    const body = slashCommandBody({ text: 'status', userId: input.user, channelId: input.channel, responseUrl: `${input.responseUrlBase}/ack-${i}` });
    const sentAt = performance.timeOrigin + performance.now();
    const r = await client.post(`${input.botUrl}/slack/events`, body, signSlackRequest(input.signingSecret, body));
    samples.push({ i, ms: r.ms, status: r.status, answeredInAck: r.status === 200 && hasBlocks(r.body), ...(r.error ? { error: r.error } : r.status !== 200 ? { error: r.body.slice(0, 200) } : {}), connectMs: r.connectMs, writtenMs: r.writtenMs, sentAt });
  });
  const wallMs = performance.now() - start;
  client.close();
  return { samples, wallMs };
}

function hasBlocks(body: string): boolean {
  try {
    const blocks = (JSON.parse(body) as { blocks?: unknown }).blocks;
    return Array.isArray(blocks) && blocks.length > 0;
  } catch {
    return false;
  }
}

if (parentPort && workerData) {
  const port = parentPort;
  run(workerData as AckLoadInput).then(
    (out) => port.postMessage({ ok: true, out }),
    (error: unknown) => port.postMessage({ ok: false, error: String(error) }),
  );
}

// The ack-latency load generator, run in a worker thread so its timing never waits behind the fake
// servers' work on the main thread (they answer the bot's follow-up requests).
import { parentPort, workerData } from 'node:worker_threads';
import { signSlackRequest, slashCommandBody } from '../devkit/slack-requests.js';
import { postRequestBytes, RawConnection } from './http-client.js';

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
  const bot = new URL(input.botUrl);
  // Every request is built and signed before the clock starts: the load generator only writes and reads.
  const requests = Array.from({ length: input.commands }, (_, i) => {
    const body = slashCommandBody({ text: 'status', userId: input.user, channelId: input.channel, responseUrl: `${input.responseUrlBase}/ack-${i}` });
    return postRequestBytes(`${input.botUrl}/slack/events`, body, signSlackRequest(input.signingSecret, body));
  });
  const connections = Array.from({ length: input.concurrency }, () => new RawConnection(bot.hostname, Number(bot.port)));
  // Warm: the connections are open before the clock starts, as Slack's (or a proxy's) would be.
  if (input.warmConnections) await Promise.all(connections.map((c) => c.open()));
  const samples: AckSample[] = [];
  const start = performance.now();
  let next = 0;
  await Promise.all(
    connections.map(async (connection) => {
      let opened = input.warmConnections;
      while (next < requests.length) {
        const i = next++;
        const sentAt = performance.timeOrigin + performance.now();
        // Cold: the first request on each connection opens it under load, and its time includes that.
        let connectMs: number | undefined;
        if (!opened) {
          await connection.open();
          connectMs = performance.timeOrigin + performance.now() - sentAt;
          opened = true;
        }
        const r = await connection.send(requests[i]!);
        const ms = r.ms + (connectMs ?? 0);
        samples.push({ i, ms, status: r.status, answeredInAck: r.status === 200 && hasBlocks(r.body), ...(r.error ? { error: r.error } : r.status !== 200 ? { error: r.body.slice(0, 200) } : {}), connectMs, writtenMs: r.writtenMs, sentAt });
      }
    }),
  );
  const wallMs = performance.now() - start;
  for (const c of connections) c.close();
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

// Through the running bot on Redis: the scheduled digest that Slack refused at its tick is kept as a job and
// posted by the job loop once Slack takes it, exactly once, with its chart in its thread.
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, textOf, type Harness } from '../support/bot-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('an owed announcement when Slack fails at its moment', () => {
  it('the scheduled digest Slack refused is posted once by the job loop, its chart in its thread', async () => {
    // One tick, two seconds from now (the cron has seconds): the tick's post fails, the retry comes 5 s later.
    const second = (new Date().getUTCSeconds() + 2) % 60;
    h = await startHarness({ redis: true, env: { DIGEST_CRON: `${second} * * * * *` }, bot: { escalationPollMs: 200 } });
    h.slack.failNext('chat.postMessage', { error: 'service_unavailable' }, 1);
    const digestPosts = () => h!.slack.calls.filter((c) => c.method === 'chat.postMessage' && !c.args.thread_ts && /Go\/no-go digest/.test(textOf(c.args)));
    const refused = await h.slack.waitFor(() => digestPosts().find((c) => c.failed), 10_000);
    const delivered = await h.slack.waitFor(() => digestPosts().find((c) => !c.failed), 15_000);
    expect(delivered.at - refused.at).toBeGreaterThanOrEqual(4_500);
    expect(textOf(delivered.args)).toBe(textOf(refused.args));
    const upload = await h.slack.waitFor(() => h!.slack.callsOf('files.completeUploadExternal')[0], 10_000);
    expect(upload.thread_ts).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(digestPosts().filter((c) => !c.failed)).toHaveLength(1);
  }, 40_000);
});

// `/mcp-canary help`, and the reply to anything the bot does not understand.
import type { KnownBlock } from '@slack/types';
import { context, escapeMrkdwn, message, section, truncate, type Message } from './blocks.js';

export const COMMAND = '/mcp-canary';

/** Every subcommand of SPEC.md section 2, in the order an on-call engineer needs them. */
export const USAGE: Array<[usage: string, does: string]> = [
  ['status', 'weight and ramp step, time at this step, each go/no-go criterion with its live value and threshold, verdict GO / NO-GO, firing alerts, Rust readiness; buttons for the next actions'],
  ['promote', 'request the next step of the ramp (needs approval)'],
  ['weight <N>', 'request weight N, an integer 0..100. Increases need approval; decreases apply at once; 0 is a rollback'],
  ['rollback [reason]', 'immediate rollback to 0% (all traffic to Python), no approval needed; anyone may roll back'],
  ['shadow on|off|status', 'shadow mode on the Python deployment, and its match / error / timeout rates'],
  ['route [apply]', 'the live canary route (router, weights, routing rules, conditions); `apply` puts it back at 0% after a rollback removed it (approvers only)'],
  ['diagnose [traffic|shadow|mismatches]', "the runbook's troubleshooting, read-only, findings in a thread: the canary route against the primary, Rust endpoints, health and Warning events, the live weight; shadow env, rollout and rates; `Shadow MISMATCH` log lines counted by path (no argument: all three)"],
  ['history', 'recent audited actions'],
  ['digest', 'post the go/no-go digest now'],
  ['finalize', 'after 14 days at 100%: request the post-migration cleanup (needs approval)'],
  ['help', 'this message'],
];

export function renderHelp(problem?: string): Message {
  const blocks: KnownBlock[] = [];
  if (problem) blocks.push(section(`:warning: ${truncate(escapeMrkdwn(problem), 1000)}`));
  const lines = USAGE.map(([usage, does]) => `\`${COMMAND} ${escapeMrkdwn(usage)}\`: ${escapeMrkdwn(does)}`);
  blocks.push(section(`*Usage*\n${lines.join('\n')}`));
  blocks.push(
    context([
      ':busts_in_silhouette: Two-person rule: every increase is a request that another approver (CANARY_APPROVERS) must approve; the requester never can, and the go/no-go is checked again at approval.',
    ]),
  );
  const summary = escapeMrkdwn(`Usage: ${COMMAND} ${USAGE.map(([usage]) => usage).join(' | ')}`);
  const text = problem ? `${truncate(escapeMrkdwn(problem), 300)} · ${summary}` : summary;
  return message(text, blocks);
}

// Ephemeral replies to the person who ran a command or clicked a button.
import type { KnownBlock } from '@slack/types';
import type { DecisionOutcome, WeightChangeOutcome } from '../src/core/approvals.js';
import type { ApprovalRequest } from '../src/core/entities.js';
import { formatDuration, formatPercent } from '../src/core/format.js';
import { decisionLine, decisionText, requestStateWord } from './approval.js';
import { bullets, channelLink, context, dryRunContext, escapeMrkdwn, mention, message, plainTime, section, slackTime, truncate, type Message } from './blocks.js';
import { criterionLine, failingChecksText, ruleCheckLine, transition, verdictBadge } from './evidence.js';
import { renderRollbackOutcome } from './rollback.js';

/** A second request (weight or cleanup) while one is pending: refused, naming the pending one, its requester and expiry. */
export function renderPendingExists(pending: ApprovalRequest): Message {
  const what = pending.kind === 'finalize' ? 'the post-migration cleanup' : transition(pending.fromPercent, pending.toPercent);
  return message(`One request at a time: ${mention(pending.requestedBy)} asked for ${what}, expires ${plainTime(pending.expiresAt)}`, [
    section(
      `:raised_hand: *One request at a time:* ${mention(pending.requestedBy)} asked for *${what}*, expires ${slackTime(pending.expiresAt)}. ` +
        'Approve or reject it first: your request is refused, not replaced.',
    ),
  ]);
}

/** Something failed before it could say more: what, and the error (from Kubernetes, Prometheus, Slack: outside text, escaped). */
export function renderFailure(what: string, error: string): Message {
  const detail = truncate(escapeMrkdwn(error), 1500);
  return message(`${what}: ${detail}`, [section(`:warning: ${what}: ${detail}`)]);
}

/** A problem the core described in a sentence (it carries error text from outside: escaped). */
export function renderProblem(sentence: string): Message {
  const text = truncate(escapeMrkdwn(sentence), 1500);
  return message(text, [section(`:warning: ${text}`)]);
}

/** Reply to `/mcp-canary promote` and `/mcp-canary weight N`. */
export function renderWeightChangeOutcome(outcome: WeightChangeOutcome): Message {
  switch (outcome.kind) {
    case 'requested': {
      const r = outcome.request;
      const move = transition(r.fromPercent, r.toPercent);
      const ttlMs = new Date(r.expiresAt).getTime() - new Date(r.requestedAt).getTime();
      const within = Number.isFinite(ttlMs) && ttlMs > 0 ? `within ${formatDuration(ttlMs)} (by ${slackTime(r.expiresAt)})` : `by ${slackTime(r.expiresAt)}`;
      return message(`Approval request posted for canary ${move}; another approver must approve by ${plainTime(r.expiresAt)}`, [
        section(
          `:hourglass_flowing_sand: Approval request posted for *${move}*. Another approver must approve ${within}; you cannot approve your own request (two-person rule).\n` +
            `Go/no-go now: ${verdictBadge(outcome.goNoGo.verdict)}. It is checked again when someone approves.`,
        ),
      ]);
    }
    case 'refused': {
      const move = transition(outcome.fromPercent, outcome.toPercent);
      const { assessment, goNoGo } = outcome;
      const reasons = assessment.reasons.length ? assessment.reasons : goNoGo.reasons;
      const why = assessment.checks.some((c) => !c.pass) ? failingChecksText(assessment.checks) : bullets(reasons.length ? reasons : ['no reason recorded'], { maxItems: 12, maxItemChars: 400, escape: escapeMrkdwn });
      return message(`NO-GO: canary ${move} not requested: ${truncate(escapeMrkdwn(reasons.join('; ')), 400)}`, [
        section(`${verdictBadge('NO-GO')} *${move} not requested.* Nothing was changed.\n${why}`),
        section(`*Ramp rules*\n${assessment.checks.map(ruleCheckLine).join('\n') || '_none checked_'}`),
        section(`*Go/no-go criteria* (checked ${slackTime(goNoGo.evaluatedAt)})\n${goNoGo.criteria.map(criterionLine).join('\n') || '_none evaluated_'}`),
      ]);
    }
    case 'pending-exists':
      return renderPendingExists(outcome.pending);
    case 'decreased': {
      const move = transition(outcome.fromPercent, outcome.toPercent);
      const blocks: KnownBlock[] = [
        section(
          outcome.dryRun
            ? `:arrow_down: *DRY RUN*: ${mention(outcome.actor)} lowering the canary ${move} ran as a server-side dry run only; *nothing was changed*.`
            : `:arrow_down: ${mention(outcome.actor)} lowered the canary *${move}*. Decreases need no approval; the change is audited.`,
        ),
      ];
      if (outcome.dryRun) blocks.push(dryRunContext());
      return message(`${outcome.dryRun ? 'DRY RUN · ' : ''}Canary lowered ${move}`, blocks);
    }
    case 'rollback':
      return renderRollbackOutcome(outcome.rollback);
    case 'no-change':
      return message(`The canary is already at ${formatPercent(outcome.percent)}: nothing to do`, [
        section(`:information_source: The canary is already at *${formatPercent(outcome.percent)}*: nothing to do.`),
      ]);
    case 'at-final-step':
      return message(`The canary is at the last step (${formatPercent(outcome.percent)}): nothing to promote`, [
        section(`:checkered_flag: The canary is already at the last step of the ramp (*${formatPercent(outcome.percent)}*): nothing to promote.`),
      ]);
    case 'invalid':
      return message(`Invalid request: ${truncate(escapeMrkdwn(outcome.message), 300)}`, [
        section(`:warning: ${truncate(escapeMrkdwn(outcome.message), 1500)}`),
        context(['`/mcp-canary weight &lt;N&gt;` takes an integer 0..100; `/mcp-canary promote` requests the next step; `/mcp-canary help` lists everything.']),
      ]);
    case 'unavailable':
      return message(truncate(escapeMrkdwn(outcome.message), 500), [section(`:x: ${truncate(escapeMrkdwn(outcome.message), 2000)}`)]);
  }
}

/** Reply to whoever clicked Approve or Reject. */
export function renderDecisionReply(outcome: DecisionOutcome): Message {
  switch (outcome.kind) {
    case 'self-approval': {
      const move = transition(outcome.request.fromPercent, outcome.request.toPercent);
      return message('You requested this change; another approver must approve it (two-person rule)', [
        section(`:no_entry_sign: You requested this change (*${move}*); another approver must approve it (two-person rule). You can still withdraw it with Reject.`),
      ]);
    }
    case 'not-approver':
      return message('Only approvers in CANARY_APPROVERS can approve', [
        section(
          ':no_entry_sign: Only approvers in `CANARY_APPROVERS` can approve (or reject someone else\'s request), and you are not one of them. Nothing was changed. Anyone may still roll back.',
        ),
      ]);
    case 'already-decided': {
      const r = outcome.request;
      const move = transition(r.fromPercent, r.toPercent);
      const state = requestStateWord(r).toLowerCase();
      const lines = [`:information_source: This request (*${move}*) is already *${state}*. ${decisionLine(r)}.`];
      const decided = decisionText(r);
      if (decided) lines.push(`*Outcome:* ${truncate(decided, 1500)}`);
      return message(`Already ${state}: canary ${move}`, [section(lines.join('\n'))]);
    }
    case 'expired': {
      const r = outcome.request;
      const move = transition(r.fromPercent, r.toPercent);
      return message(`This request (${move}) expired; nothing was changed`, [
        section(`:hourglass: This request (*${move}*) expired ${slackTime(r.decidedAt ?? r.expiresAt)} without approval. Nothing was changed; request again if it is still wanted.`),
      ]);
    }
    case 'not-found':
      return message('Approval request not found; nothing was changed', [
        section(
          `:grey_question: Approval request \`${truncate(escapeMrkdwn(outcome.requestId), 100)}\` was not found (it expired and was cleaned up, or the state store was reset). Nothing was changed.`,
        ),
      ]);
    case 'unavailable':
      return message(truncate(escapeMrkdwn(outcome.message), 500), [section(`:x: ${truncate(escapeMrkdwn(outcome.message), 2000)}`)]);
    case 'applied': {
      const r = outcome.request;
      const move = transition(r.fromPercent, r.toPercent);
      const decided = decisionText(r);
      const detail = decided ? ` ${truncate(decided, 500)}.` : '';
      return message(`Applied: canary ${move}`, [section(`:white_check_mark: Approved: *${move}*.${detail}`)]);
    }
    case 'refused': {
      const move = transition(outcome.request.fromPercent, outcome.request.toPercent);
      return message(`Refused at approval: canary ${move}: ${truncate(escapeMrkdwn(outcome.reasons.join('; ')), 400)}`, [
        section(
          `${verdictBadge('NO-GO')} *${move} refused at approval.* Nothing was changed.\n${bullets(outcome.reasons.length ? outcome.reasons : ['no reason recorded'], {
            maxItems: 12,
            maxItemChars: 400,
          })}`,
        ),
      ]);
    }
    case 'failed': {
      const move = transition(outcome.request.fromPercent, outcome.request.toPercent);
      return message(`Failed: canary ${move}: ${truncate(escapeMrkdwn(outcome.message), 400)}`, [
        section(`:rotating_light: *${move} failed:* ${truncate(escapeMrkdwn(outcome.message), 2000)}`),
      ]);
    }
    case 'rejected': {
      const r = outcome.request;
      const move = transition(r.fromPercent, r.toPercent);
      const withdrawn = r.decidedBy !== undefined && r.decidedBy === r.requestedBy;
      return message(`${withdrawn ? 'Withdrawn' : 'Rejected'}: canary ${move}`, [
        section(withdrawn ? `:x: You withdrew your request (*${move}*). Nothing was changed.` : `:x: Rejected *${move}*. Nothing was changed.`),
      ]);
    }
  }
}

/** A command typed outside the channels where the on-call team sees what it does. */
export function renderWrongChannel(channels: string[]): Message {
  const text = `:no_entry: /mcp-canary only works in ${channels.map(channelLink).join(', ')}, where the on-call team sees what it does. Nothing was done.`;
  return message(text, [section(text)]);
}

/** A request whose channel message could not be posted is withdrawn: say so, and why it may be. */
export function renderRequestNotPosted(channel: string | undefined, what = 'request'): Message {
  const text = channel
    ? `:warning: The ${what} could not be posted in ${channelLink(channel)} (is the bot a member of the channel?). Nothing was requested.`
    : `:warning: SLACK_CHANNEL is not set: there is nowhere to post the ${what}. Nothing was requested.`;
  return message(text, [section(text)]);
}

/** To someone who acted outside SLACK_CHANNEL: where the announcement went. */
export function renderAnnouncedIn(what: string, channel: string): Message {
  const text = `${what}: announced in ${channelLink(channel)}.`;
  return message(text, [section(text)]);
}

export function renderDigestPosted(channel: string, chart: 'attached' | 'missing' | string): Message {
  const text = `Digest posted in ${channelLink(channel)}${chart === 'missing' ? ' (without its chart: see the message)' : ''}.`;
  return message(text, [section(text)]);
}

export function renderCleanupRequested(): Message {
  const text = 'Cleanup requested: the plan passed its dry run; another approver must approve it.';
  return message(text, [section(text)]);
}

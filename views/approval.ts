// The approval request message in the channel: posted while pending, then updated in place with the outcome.
import type { Button, KnownBlock } from '@slack/types';
import type { ApprovalRequest, RequestStatus } from '../src/core/entities.js';
import { formatDuration, formatPercent } from '../src/core/format.js';
import { ACTION, rollbackButtonValue } from './action-ids.js';
import {
  actions,
  button,
  context,
  dryRunContext,
  escapeMrkdwn,
  header,
  mention,
  message,
  plainTime,
  rollbackButton,
  section,
  slackTime,
  truncate,
  type Message,
} from './blocks.js';
import { evidenceText, transition, verdictBadge } from './evidence.js';
import { cleanupStepText } from './lifecycle.js';

export interface ApprovalViewOptions {
  dryRun: boolean;
  /**
   * Who can approve, as trusted mrkdwn built by the bot from CANARY_APPROVERS
   * (e.g. "<@U123>, <!subteam^S456>"). Not escaped.
   */
  approverHint?: string;
}

export const TWO_PERSON_RULE =
  ':busts_in_silhouette: Two-person rule: the requester cannot approve. On Approve the go/no-go and ramp rules are checked again; NO-GO refuses the change. Anyone may roll back.';

/** What a request is about, for headers and fallbacks: "canary 5% → 10%" or "post-migration cleanup". */
function subjectOf(request: ApprovalRequest): string {
  return request.kind === 'finalize' ? 'post-migration cleanup' : `canary ${transition(request.fromPercent, request.toPercent)}`;
}

/** The pending request, with Approve / Reject / Roll back. A request that is no longer pending renders as decided. */
export function renderApprovalRequest(request: ApprovalRequest, opts: ApprovalViewOptions): Message {
  if (request.status !== 'pending') return renderDecidedRequest(request, opts);
  const from = formatPercent(request.fromPercent);
  const to = formatPercent(request.toPercent);
  const move = subjectOf(request).replace(/^canary /, '');
  const ttlMs = new Date(request.expiresAt).getTime() - new Date(request.requestedAt).getTime();
  const ttl = Number.isFinite(ttlMs) && ttlMs > 0 ? ` (${formatDuration(ttlMs)} after the request)` : '';

  const intro = [
    request.kind === 'finalize'
      ? `${mention(request.requestedBy)} asks to run the post-migration cleanup (Rust has served 100% for 14 days): the plan above passed its server-side dry run.`
      : `${mention(request.requestedBy)} asks to raise the canary from *${from}* to *${to}* of traffic to Rust.`,
    `Requested ${slackTime(request.requestedAt)} · *expires ${slackTime(request.expiresAt)}*${ttl}`,
  ];
  if (opts.approverHint) intro.push(`Approvers: ${truncate(opts.approverHint, 1000)}`);

  const blocks: KnownBlock[] = [
    header(`Approval needed: ${subjectOf(request)}${opts.dryRun ? ' · DRY RUN' : ''}`),
    section(intro.join('\n')),
    section(evidenceText(request.evidence, 'Go/no-go at request time')),
    context([TWO_PERSON_RULE]),
    actions([approveRequestButton(request, opts.dryRun), rejectRequestButton(request), rollbackButton(rollbackButtonValue('approval', request.id))]),
  ];
  if (opts.dryRun) blocks.push(dryRunContext());

  const dry = opts.dryRun ? 'DRY RUN · ' : '';
  return message(`${dry}Approval needed: ${subjectOf(request)}, requested by ${mention(request.requestedBy)}; expires ${plainTime(request.expiresAt)}`, blocks);
}

/** Approve (value: the request id), with the confirm dialog that says what will be applied and that it is checked again. */
export function approveRequestButton(request: ApprovalRequest, dryRun: boolean): Button {
  const from = formatPercent(request.fromPercent);
  const to = formatPercent(request.toPercent);
  if (request.kind === 'finalize') {
    return button({
      text: ':white_check_mark: Approve cleanup',
      actionId: ACTION.approve,
      value: request.id,
      style: 'primary',
      confirm: {
        title: 'Run the cleanup?',
        text: `Deletes the Python deployment and service, points the primary route at Rust and removes the canary route, step by step after a fresh dry run.${dryRun ? ' DRY RUN: server-side dry run only.' : ''}`,
        confirm: 'Run cleanup',
        deny: 'Cancel',
        style: 'danger',
      },
    });
  }
  return button({
    text: `:white_check_mark: Approve ${to}`,
    actionId: ACTION.approve,
    value: request.id,
    style: 'primary',
    confirm: {
      title: `Apply ${to}?`,
      text: `Sets the canary to ${to} of traffic to Rust (now ${from}). The go/no-go and ramp rules are checked again first; NO-GO refuses the change.${
        dryRun ? ' DRY RUN: server-side dry run only.' : ''
      }`,
      confirm: `Apply ${to}`,
      deny: 'Cancel',
      style: 'primary',
    },
  });
}

/** Reject (value: the request id). */
export function rejectRequestButton(request: ApprovalRequest): Button {
  return button({ text: ':x: Reject', actionId: ACTION.reject, value: request.id });
}

const STATES: Record<RequestStatus, { icon: string; word: string }> = {
  pending: { icon: ':hourglass_flowing_sand:', word: 'Pending' },
  applying: { icon: ':hourglass_flowing_sand:', word: 'Applying' },
  applied: { icon: ':white_check_mark:', word: 'Applied' },
  refused: { icon: ':no_entry:', word: 'Refused at approval' },
  failed: { icon: ':rotating_light:', word: 'Failed' },
  rejected: { icon: ':x:', word: 'Rejected' },
  expired: { icon: ':hourglass:', word: 'Expired' },
  cancelled: { icon: ':leftwards_arrow_with_hook:', word: 'Cancelled' },
};

/** "Rejected", or "Withdrawn" when the requester rejected their own request. */
export function requestStateWord(request: ApprovalRequest): string {
  if (request.status === 'rejected' && request.decidedBy && request.decidedBy === request.requestedBy) return 'Withdrawn';
  return STATES[request.status].word;
}

export function requestStateIcon(request: ApprovalRequest): string {
  return STATES[request.status].icon;
}

/** Who decided, and when, in one line. */
export function decisionLine(request: ApprovalRequest): string {
  const by = request.decidedBy ? mention(request.decidedBy) : 'someone';
  const when = request.decidedAt ? ` ${slackTime(request.decidedAt)}` : '';
  switch (request.status) {
    case 'applied':
      return `Approved by ${by}${when}`;
    case 'applying':
      return `Approved by ${by}${when}; applying now`;
    case 'refused':
      return `Approve clicked by ${by}${when}; refused when the go/no-go was checked again`;
    case 'failed':
      return `Approved by ${by}${when}; applying failed`;
    case 'rejected':
      return request.decidedBy === request.requestedBy ? `Withdrawn by the requester${when}` : `Rejected by ${by}${when}`;
    case 'expired':
      return `Expired ${slackTime(request.decidedAt ?? request.expiresAt)} without approval`;
    case 'cancelled':
      return `Cancelled${request.decidedBy ? ` by ${by}` : ''}${when}`;
    case 'pending':
      return `Pending; expires ${slackTime(request.expiresAt)}`;
  }
}

/** The same message, updated in place once the request is decided. Only the Rollback button stays. */
export function renderDecidedRequest(request: ApprovalRequest, opts: { dryRun: boolean }): Message {
  const subject = subjectOf(request);
  const word = requestStateWord(request);
  const icon = requestStateIcon(request);

  const lines = [`Requested by ${mention(request.requestedBy)} ${slackTime(request.requestedAt)}`, decisionLine(request)];
  if (request.status === 'applied' && request.kind === 'finalize') {
    lines.push(opts.dryRun ? 'DRY RUN: server-side dry runs only; nothing was deleted.' : 'Rust serves all traffic through the primary route.');
  } else if (request.status === 'applied') {
    lines.push(
      opts.dryRun
        ? `DRY RUN: server-side dry run only; the canary stays at *${formatPercent(request.fromPercent)}*.`
        : `The canary now sends *${formatPercent(request.toPercent)}* of traffic to Rust.`,
    );
  } else if (request.kind === 'finalize' && request.status === 'failed') {
    lines.push('Stopped at the first failing step: see the outcome for what is done and what is not.');
  } else if (request.status !== 'applying' && request.status !== 'pending') {
    lines.push('Nothing was applied.');
  }
  const outcome = decisionText(request);
  if (outcome) lines.push(`*Outcome:* ${truncate(outcome, 1500)}`);

  const blocks: KnownBlock[] = [header(`${icon} ${word}: ${subject}${opts.dryRun ? ' · DRY RUN' : ''}`), section(lines.join('\n'))];
  if (request.decisionEvidence) blocks.push(section(evidenceText(request.decisionEvidence, 'Go/no-go at approval')));
  blocks.push(context([`At request time: ${verdictBadge(request.evidence.verdict)} (${slackTime(request.evidence.evaluatedAt)})`]));
  blocks.push(actions([rollbackButton(rollbackButtonValue('approval', request.id))]));
  if (opts.dryRun) blocks.push(dryRunContext());

  return message(`${opts.dryRun ? 'DRY RUN · ' : ''}${word}: ${subject}${decidedSuffix(request)}`, blocks);
}

/** How the request ended, in words (escaped mrkdwn), from its decision data. */
export function decisionText(request: ApprovalRequest): string | undefined {
  const d = request.decision;
  if (!d) return undefined;
  switch (d.kind) {
    case 'applied':
      return `applied ${formatPercent(request.toPercent)}${d.dryRun ? ' (DRY RUN: server-side dry run only)' : ''}`;
    case 'refused':
      return `refused at approval: ${escapeMrkdwn(d.reasons.join('; '))}`;
    case 'failed':
      return d.conflict
        ? `the canary route changed while applying (${escapeMrkdwn(d.error)}); nothing was applied, request again`
        : `the write failed: ${escapeMrkdwn(d.error)}; the weight is unchanged`;
    case 'rejected':
      return d.withdrawn ? 'withdrawn by the requester' : 'rejected';
    case 'expired':
      return `expired ${slackTime(request.expiresAt)} without approval`;
    case 'cancelled':
      return d.cause === 'rolled-back' ? `cancelled: ${request.decidedBy ? mention(request.decidedBy) : 'someone'} rolled the canary back` : 'cancelled: the request message could not be posted';
    case 'cleanup': {
      const steps = d.results.map((r) => `${r.ok ? 'done' : 'FAILED'}: ${escapeMrkdwn(cleanupStepText(r.step))} (${escapeMrkdwn(r.detail)})`);
      const notDone = d.notDone.length ? `. Not done: ${d.notDone.map((s) => escapeMrkdwn(cleanupStepText(s))).join('; ')}` : '';
      return `${d.notDone.length || d.results.some((r) => !r.ok) ? 'cleanup stopped at the first failure' : 'cleanup finished'}: ${steps.join('; ')}${notDone}${d.dryRun ? ' (DRY RUN: server-side dry runs only)' : ''}`;
    }
  }
}

/** The fallback's tail: who decided, and why for a refusal or a failure (without repeating the state). */
function decidedSuffix(request: ApprovalRequest): string {
  const by = request.decidedBy ? mention(request.decidedBy) : undefined;
  const decision = request.decision;
  const why =
    decision?.kind === 'refused' ? truncate(escapeMrkdwn(decision.reasons.join('; ')), 500) : decision?.kind === 'failed' || decision?.kind === 'cleanup' ? truncate(decisionText(request) ?? '', 500) : '';
  switch (request.status) {
    case 'applied':
    case 'applying':
      return by ? ` (approved by ${by})` : '';
    case 'refused':
    case 'failed':
      return why ? `: ${why}` : '';
    case 'rejected':
    case 'cancelled':
      return by ? ` by ${by}` : '';
    default:
      return '';
  }
}

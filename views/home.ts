// The App Home tab: the live status dashboard, the pending approval request with Approve / Reject, the action
// buttons, and the last audited actions. Published on `app_home_opened` and on Refresh; it never updates itself.
import type { Button, KnownBlock } from '@slack/types';
import type { AuditEntry } from '../src/core/entities.js';
import type { StatusReport } from '../src/core/status.js';
import { ACTION, rollbackButtonValue } from './action-ids.js';
import { approveRequestButton, rejectRequestButton, TWO_PERSON_RULE } from './approval.js';
import { actions, button, capBlocks, context, divider, header, LIMITS, mention, rollbackButton, section, slackTime, truncate } from './blocks.js';
import { evidenceText, transition } from './evidence.js';
import { auditEntryText, newestFirst, storeErrorText } from './history.js';
import { nextStepOffer, renderStatus } from './status.js';

export interface HomeViewInput {
  status: StatusReport;
  /** Recent audited actions (any order; shown newest first). */
  recent: AuditEntry[];
  /** Why the audit store could not be read, when it could not. */
  storeError?: string;
  /** When the view is rendered. */
  at: Date;
}

export interface HomeView {
  type: 'home';
  blocks: KnownBlock[];
}

export const HOME_RECENT_ACTIONS = 10;
/** Characters per audit entry: 10 entries stay far below any view size limit. */
const ENTRY_CHARS = 900;

export function renderHomeView(input: HomeViewInput): HomeView {
  const { status } = input;

  // 1. The status message's blocks, without its buttons (they act on a message; the tab has its own below).
  const statusBlocks = renderStatus(status).blocks.filter((b) => b.type !== 'actions');
  const updated = context([`Updated ${slackTime(input.at)} · this tab does not refresh itself: press *Refresh* for the live state`]);
  const blocks: KnownBlock[] =
    statusBlocks[0]?.type === 'header' ? [statusBlocks[0], updated, ...statusBlocks.slice(1)] : [updated, ...statusBlocks];

  // 2. The pending approval request, with the same Approve (and its confirm) and Reject as in the channel.
  const pending = status.pending;
  if (pending && pending.status === 'pending') {
    blocks.push(divider());
    blocks.push(
      section(
        [
          `:hourglass_flowing_sand: *Approval request pending:* ${mention(pending.requestedBy)} asks to raise the canary *${transition(pending.fromPercent, pending.toPercent)}*`,
          `Requested ${slackTime(pending.requestedAt)} · *expires ${slackTime(pending.expiresAt)}*`,
        ].join('\n'),
      ),
    );
    blocks.push(section(evidenceText(pending.evidence, 'Go/no-go at request time')));
    blocks.push(context([TWO_PERSON_RULE]));
    blocks.push(actions([approveRequestButton(pending, status.dryRun), rejectRequestButton(pending)]));
  }

  // 3. What can be done from here: the last actions block, so it survives any trimming.
  const buttons: Button[] = [];
  const offer = nextStepOffer(status);
  if (offer.button) buttons.push(offer.button);
  buttons.push(button({ text: ':arrows_counterclockwise: Refresh', actionId: ACTION.refreshHome, value: 'refresh' }));
  buttons.push(rollbackButton(rollbackButtonValue('home')));
  blocks.push(actions(buttons));

  // 4. The last audited actions.
  blocks.push(divider());
  const sorted = newestFirst(input.recent);
  const shown = sorted.slice(0, HOME_RECENT_ACTIONS);
  blocks.push(header(`Recent actions${shown.length ? ` (last ${shown.length})` : ''}`));
  if (input.storeError) blocks.push(section(storeErrorText(input.storeError)));
  if (!shown.length) blocks.push(section('No audited actions yet.'));
  for (const entry of shown) blocks.push(section(truncate(auditEntryText(entry), ENTRY_CHARS)));
  if (sorted.length > shown.length) {
    const older = sorted.length - shown.length;
    blocks.push(context([`${older} older entr${older === 1 ? 'y' : 'ies'} not shown: \`/mcp-canary history\` lists more.`]));
  }

  return { type: 'home', blocks: capBlocks(blocks, LIMITS.blocksPerView, 'view') };
}

// Public surface of the views: pure Block Kit builders (data in, `{ text, blocks }` out).
export { ACTION, rollbackButtonValue } from './action-ids.js';
export { renderApprovalRequest, renderDecidedRequest, type ApprovalViewOptions } from './approval.js';
export { escapeMrkdwn, LIMITS, mention, slackTime, type Message } from './blocks.js';
export { renderHelp, USAGE } from './help.js';
export { DEFAULT_HISTORY_LIMIT, renderHistory, type HistoryOptions } from './history.js';
export { renderDecisionReply, renderWeightChangeOutcome } from './replies.js';
export { renderRollbackOutcome } from './rollback.js';
export { renderStatus } from './status.js';
export { escalationMention, renderAlertGroup, renderAlertThreadEvent } from './alerts.js';
export { renderDigest, type DigestViewOptions } from './digest.js';
export { HOME_RECENT_ACTIONS, renderHomeView, type HomeView, type HomeViewInput } from './home.js';

// Registers every Bolt listener. Each listener is an exported function of the handler context,
// so it can be read and tested on its own.
import type { App } from '@slack/bolt';
import { ACTION } from '../views/action-ids.js';
import { acknowledgeAlertButton, silenceAlertButton } from './actions/alerts.js';
import { approveButton, rejectButton } from './actions/approval.js';
import { rollbackButton } from './actions/rollback.js';
import { refreshStatusButton, requestNextStepButton } from './actions/status.js';
import { mcpCanaryCommand } from './commands/mcp-canary.js';
import { appHomeOpened, refreshHomeButton } from './events/app-home.js';
import type { HandlerContext } from './context.js';
import { deliveredOnce } from './dedupe.js';
import { diagnoseButton } from './diagnose.js';
import { shadowToggleButton, type RolloutWatch } from './lifecycle.js';
import { routeApplyButton } from './route.js';

export function registerListeners(app: App, ctx: HandlerContext, rollout: RolloutWatch): void {
  app.use(deliveredOnce(ctx.core.store, (key) => ctx.logger.info({ key }, 'duplicate Slack delivery ignored')));
  app.command('/mcp-canary', mcpCanaryCommand(ctx));
  app.action(ACTION.approve, approveButton(ctx));
  app.action(ACTION.reject, rejectButton(ctx));
  app.action(ACTION.rollback, rollbackButton(ctx));
  app.action(ACTION.refreshStatus, refreshStatusButton(ctx));
  app.action(ACTION.requestNext, requestNextStepButton(ctx));
  app.action(ACTION.acknowledgeAlert, acknowledgeAlertButton(ctx, ctx.core));
  app.action(ACTION.silenceAlert, silenceAlertButton(ctx, ctx.core));
  app.action(ACTION.refreshHome, refreshHomeButton(ctx));
  app.action(ACTION.shadowToggle, shadowToggleButton(ctx, rollout));
  app.action(ACTION.routeApply, routeApplyButton(ctx));
  app.action(ACTION.diagnose, diagnoseButton(ctx));
  app.event('app_home_opened', appHomeOpened(ctx));
  // Buttons this version does not know (an old message, a crafted payload): answered, logged, nothing done.
  const known = new Set<string>(Object.values(ACTION));
  app.action(/.*/, async ({ ack, action }) => {
    const id = 'action_id' in action ? action.action_id : 'unknown';
    if (known.has(id)) return; // its own listener acks
    await ack();
    ctx.logger.warn({ actionId: id }, 'unknown action ignored');
  });
}

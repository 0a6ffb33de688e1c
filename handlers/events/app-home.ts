// App Home: the live dashboard, published each time the tab is opened or refreshed.
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { sharedStatus } from '../../src/core/status.js';
import { renderHomeView } from '../../views/index.js';
import { describeSlackError, type HandlerContext } from '../context.js';

const RECENT_ACTIONS = 10;

export async function publishHome(ctx: HandlerContext, client: WebClient, userId: string): Promise<void> {
  const [status, recent] = await Promise.all([sharedStatus(ctx.core), ctx.core.audit.recent(RECENT_ACTIONS)]);
  const view = renderHomeView({ status, recent: recent.entries, storeError: recent.storeError, at: ctx.core.clock.now() });
  try {
    await client.views.publish({ user_id: userId, view: view as never });
  } catch (error) {
    ctx.logger.error({ err: describeSlackError(error), user: userId }, 'views.publish failed');
  }
}

export function appHomeOpened(ctx: HandlerContext) {
  return async ({ event, client }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== 'home') return;
    await publishHome(ctx, client, event.user);
  };
}

export function refreshHomeButton(ctx: HandlerContext) {
  return async ({ ack, body, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    await publishHome(ctx, client, body.user.id);
  };
}

// Moved to devkit/slack-api.ts: one local Slack for the tests, the bench and the playground page.
// startFakeSlackApi() is the open one (any channel, user and token; the identity of ./slack-requests.ts).
export * from '../../devkit/slack-api.js';

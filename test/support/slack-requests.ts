// Moved to devkit/slack-requests.ts (the development kit: the local Slack signs with it too); kept here for the tests' imports.
export * from '../../devkit/slack-requests.js';

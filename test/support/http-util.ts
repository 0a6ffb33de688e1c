// Moved to src/playground/http-util.ts (the playground ships with the app); kept here for the tests' imports.
export * from '../../src/playground/http-util.js';

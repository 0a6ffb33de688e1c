// Moved to devkit/http-util.ts (the development kit's local servers); kept here for the tests' imports.
export * from '../../devkit/http-util.js';

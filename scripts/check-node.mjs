// Bolt 5 and client-node 2 pull in undici 8, which crashes at import on Node < 22.19.
// `npm test` and `npm start` run with node_modules/.bin first on PATH, where the `node`
// devDependency puts a Node 24 binary; this check says so plainly when that did not happen.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  console.error(`mcp-canary needs Node >= 22.19 (found ${process.versions.node}). Run "npm ci" so the bundled Node 24 is used, or install Node 24.`);
  process.exit(1);
}

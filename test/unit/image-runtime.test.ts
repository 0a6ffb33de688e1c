import { describe, expect, it } from 'vitest';
import { cliNodeArgs, deploymentEnv, imageRuntime } from '../support/image-runtime.js';

describe('imageRuntime (what the bench and the bundle test copy from the Dockerfile)', () => {
  it("reads the runtime stage's ENV and the node flags of its CMD, not the build stage's", () => {
    const dockerfile = [
      'FROM node:24 AS build',
      'ENV npm_config_fund=false',
      'CMD ["node", "--inspect", "build.js"]',
      'FROM node:24-slim',
      'ENV NODE_ENV=production',
      'ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 \\',
      '    MALLOC_CONF=narenas:2',
      'CMD ["node", "--no-maglev", "--no-turbofan", "dist/mcp-canary.js"]',
    ].join('\n');
    expect(imageRuntime(dockerfile)).toEqual({
      nodeArgs: ['--no-maglev', '--no-turbofan'],
      env: { NODE_ENV: 'production', LD_PRELOAD: '/usr/local/lib/libjemalloc.so.2', MALLOC_CONF: 'narenas:2' },
    });
  });

  it("reads the command line wrapper's node flags (none, or some), and refuses a wrapper that does not exec node on dist/cli.js", () => {
    const wrapper = (flags: string) => `RUN printf '#!/bin/sh\\nNODE_COMPILE_CACHE=/c exec node${flags} /app/dist/cli.js "$@"\\n' > /usr/local/bin/mcp-canary`;
    expect(cliNodeArgs(wrapper(''))).toEqual([]);
    expect(cliNodeArgs(wrapper(' --no-maglev --max-semi-space-size=1'))).toEqual(['--no-maglev', '--max-semi-space-size=1']);
    expect(() => cliNodeArgs('RUN ln -s /app/dist/cli.js /usr/local/bin/mcp-canary')).toThrow(/exec node \[flags\]/);
  });

  it('refuses a CMD that does not start node directly', () => {
    expect(() => imageRuntime('FROM x\nCMD ["npm", "start"]')).toThrow(/expected CMD \["node"/);
  });

  it("reads NODE_OPTIONS and MALLOC_* of the bot's container from the Deployment", () => {
    const manifest = `
spec:
  template:
    spec:
      containers:
        - name: sidecar
          env: [{ name: NODE_OPTIONS, value: "--sidecar" }]
        - name: mcp-canary
          env:
            - { name: NODE_OPTIONS, value: "--max-old-space-size=192" }
            - { name: MALLOC_ARENA_MAX, value: "2" }
            - { name: SLACK_CHANNEL, value: C0 }
            - { name: SLACK_BOT_TOKEN, valueFrom: { secretKeyRef: { name: s, key: k } } }
`;
    expect(deploymentEnv(manifest)).toEqual({ NODE_OPTIONS: '--max-old-space-size=192', MALLOC_ARENA_MAX: '2' });
  });
});

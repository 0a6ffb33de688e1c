# mcp-canary container image.
#   docker build -t ghcr.io/example/mcp-canary:0.1.0 .
#   docker run --rm -p 3000:3000 --env-file .env ghcr.io/example/mcp-canary:0.1.0
#
# Node: the base image's Node 24 runs the bot. package.json also has a devDependency `node`
# (an npm package that ships a Node 24 binary, for machines that only have Node 20); it stays in
# the build stage, like the rest of node_modules.

# ---- build: install everything, type-check and bundle ----
FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

COPY package.json package-lock.json ./
# Install scripts must run (esbuild, which makes the bundle; the `node` devDependency's preinstall).
RUN npm ci --ignore-scripts=false

COPY tsconfig*.json ./
COPY scripts/bundle.mjs scripts/runtime-packages.mjs ./scripts/
COPY src ./src
COPY handlers ./handlers
COPY views ./views
# tsc (type check only, tsconfig.build.json: src, handlers, views) then scripts/bundle.mjs -> dist/mcp-canary.js:
# the bot and its dependencies in one tree-shaken file (half the memory and start-up time of loading node_modules
# module by module). --no-playground: the playground (devkit/, dist/playground.js) is a development tool; it is
# not in the build context (.dockerignore) and the bundle fails to build if any devkit/ module got into it. The
# chart stack is not in the bundle (it reads its WebAssembly and fonts from its packages):
# scripts/runtime-packages.mjs copies it, with its dependencies, to dist/node_modules.
# test/integration/production-build.test.ts runs this same layout.
RUN npx tsc --noEmit -p tsconfig.build.json \
 && node scripts/bundle.mjs --no-playground dist/mcp-canary.js \
 && node scripts/runtime-packages.mjs dist/node_modules \
 && test -f dist/mcp-canary.js && test -f dist/cli.js && test -d dist/cli-chunks && test ! -e dist/playground.js

# ---- runtime: the bundle and the chart stack's packages, nothing else from node_modules; non-root ----
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app

# Memory: jemalloc instead of glibc's malloc. Under load glibc kept 10-30 MB of freed memory in its
# per-thread arenas and RSS ended 20-30 MB above the idle figure; jemalloc with a 1 s decay returns it
# (README, "Performance"). Debian's multiarch path differs per architecture, hence the fixed symlink.
# npm run bench and the production-build test read this ENV line and the CMD's node flags from here.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjemalloc2 \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s "$(dpkg -L libjemalloc2 | grep '/libjemalloc.so.2$')" /usr/local/lib/libjemalloc.so.2
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 MALLOC_CONF=background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,narenas:2

# Files stay owned by root (read-only for the `node` user); the pod also mounts the root fs read-only.
# package.json for "type": "module"; the bundle (and its source map) and dist/node_modules, nothing else:
# without Slack variables the bot stops with "the playground is not part of the production build".
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist/mcp-canary.js /app/dist/mcp-canary.js.map ./dist/
COPY --from=build /app/dist/node_modules ./dist/node_modules
# The break-glass command line (README.md, "When Slack is down"): dist/cli.js and its chunks (dist/cli-chunks/),
# the same core without Bolt or the server, self-contained (nothing of dist/node_modules). `docker run --rm
# --env-file .env <image> mcp-canary rollback "reason"`, or `kubectl exec deploy/mcp-canary -- mcp-canary status`
# in a running pod. The wrapper on the PATH runs it with plain node, not the bot's flags: a process of a fraction
# of a second has no use for them, and with any V8 flag changed Node cannot use the code cache of its own
# built-in modules (12 ms more before the rollback's PATCH, measured). A V8 code cache of the chunks is made
# here, so that a run does not compile them first (NODE_COMPILE_CACHE; Node keys the cache by user id, so it is
# made as `node`, then read-only): --help loads the chunks of the rollback's write, the import the rest.
COPY --from=build /app/dist/cli.js /app/dist/cli.js.map ./dist/
COPY --from=build /app/dist/cli-chunks ./dist/cli-chunks
RUN printf '#!/bin/sh\nNODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-/app/.compile-cache}" exec node /app/dist/cli.js "$@"\n' > /usr/local/bin/mcp-canary \
 && chmod 755 /usr/local/bin/mcp-canary \
 && install -d -o node -g node /app/.compile-cache
USER node
RUN mcp-canary --help > /dev/null \
 && NODE_COMPILE_CACHE=/app/.compile-cache node --input-type=module -e "for (const f of (await import('node:fs')).readdirSync('/app/dist/cli-chunks')) if (f.endsWith('.js')) await import('/app/dist/cli-chunks/' + f)" \
 && test -n "$(ls /app/.compile-cache)"
USER root
RUN chown -R root:root /app/.compile-cache && chmod -R a+rX,go-w /app/.compile-cache

# `node` is uid/gid 1000 in the official image; the Kubernetes Deployment sets runAsUser 1000 too,
# which is what lets runAsNonRoot verify a named (non-numeric) USER.
USER node

EXPOSE 3000

# The slim image has no curl: use Node's fetch. Honours PORT like the bot does (default 3000).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Run node directly (not `npm start`, which would rebuild): node is PID 1 and gets SIGTERM itself.
# --no-maglev --no-turbofan: the bot's work is I/O, parsing and crypto in native code; V8's optimising
# compilers only added compile threads competing for the CPU, a warm-up latency tail and code memory.
# Measured without them: ack p99 28-41 ms instead of 44-56 ms, more acks per second, ~10 MB less RSS.
# (They are not allowed in NODE_OPTIONS, so they are arguments here.)
CMD ["node", "--no-maglev", "--no-turbofan", "dist/mcp-canary.js"]

#!/usr/bin/env bash
# Installs the system programs the test suite needs (Debian/Ubuntu, via apt-get), only if missing.
# `npm test` runs it first (its `pretest` step), and so does .ci/run: nothing to run by hand on a new machine.
# Needs root, or sudo. Safe to run again: it does nothing when everything is present.
set -euo pipefail

# One entry per line: "<command to look for> <Debian package that provides it>".
# Add more test dependencies here.
DEPS=(
  "redis-server redis-server"
  "promtool prometheus"
  "prometheus prometheus"
  "prometheus-alertmanager prometheus-alertmanager"
  "amtool prometheus-alertmanager"
  "chromium chromium"
  "kubectl kubernetes-client"
)

log() { printf '[install-test-deps] %s\n' "$*"; }

missing=()
for entry in "${DEPS[@]}"; do
  read -r cmd pkg <<<"$entry"
  if command -v "$cmd" >/dev/null 2>&1; then
    log "found $cmd: $(command -v "$cmd")"
  else
    log "missing $cmd (package $pkg)"
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  log "all test dependencies present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "apt-get not found: install these yourself, then run npm test: ${missing[*]}"
  log "(macOS: brew install redis)"
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    log "not root and no sudo: cannot install ${missing[*]}"
    exit 1
  fi
fi

log "apt-get update"
"${SUDO[@]}" apt-get update -qq </dev/null
log "apt-get install ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null

for entry in "${DEPS[@]}"; do
  read -r cmd pkg <<<"$entry"
  if ! command -v "$cmd" >/dev/null 2>&1; then
    log "still missing $cmd after installing $pkg"
    exit 1
  fi
  log "ok $cmd: $(command -v "$cmd")"
done

#!/usr/bin/env bash
# Sets up a checkout of lguest.ts on a machine that has only Node 20, npm, python3, make, g++ and apt:
# the pinned pnpm, the 32-bit C toolchain the project's guest programs are built with, the
# workspace's dependencies, and a build of every package.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
export TURBO_TELEMETRY_DISABLED=1

step() { printf '\n=== %s\n' "$*"; }

step "pnpm $PNPM_VERSION"
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  npm install -g "pnpm@$PNPM_VERSION"
fi
pnpm --version

step "32-bit C toolchain (gcc-multilib) for tools/guests"
probe=$(mktemp -d)
if ! printf 'int main(void){return 0;}\n' | gcc -m32 -x c - -o "$probe/probe" 2>/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-multilib
  else
    echo "gcc -m32 does not work and this is not root: install gcc-multilib (apt-get install gcc-multilib)" >&2
    exit 1
  fi
fi
rm -rf "$probe"

step "dependencies"
pnpm install --frozen-lockfile

step "build"
pnpm build

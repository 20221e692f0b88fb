#!/usr/bin/env bash
# The main job for a newcomer: set everything up, then boot the bundled virtio-hello guest through
# the real `lguest` bin: it prints on the virtio console and powers off (exit status 0).
# `bash tools/demo.sh --echo` then boots virtio-echo, which echoes what you type ("quit" ends it;
# three Ctrl-C within a second stop the launcher).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
printf '\n=== demo: lguest 32 tools/guests/images/lguest-virtio-hello.elf\n'
node packages/launcher/dist/cli.js 32 tools/guests/images/lguest-virtio-hello.elf
if [[ "${1:-}" == "--echo" ]]; then
  printf '\n=== demo: lguest 32 tools/guests/images/lguest-virtio-echo.elf\n'
  node packages/launcher/dist/cli.js 32 tools/guests/images/lguest-virtio-echo.elf
fi

#!/usr/bin/env bash
# The main job for a newcomer: set everything up, then run the launcher.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
printf '\n=== demo\n'
node packages/launcher/dist/cli.js --help

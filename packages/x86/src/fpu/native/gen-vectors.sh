#!/bin/sh
# Regenerates ../x87-vectors.json from the real processor (needs gcc with -m32 support; run by hand).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -m32 -O1 -fno-pie -no-pie -o "$out/x87-vectors" "$here/x87-vectors.c"
"$out/x87-vectors" > "$out/vectors.jsonl"
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //; s/["\\]//g')
{
  printf '{\n  "cpu": "%s",\n  "cases": [\n' "$cpu"
  sed '$!s/$/,/' "$out/vectors.jsonl"
  printf '  ]\n}\n'
} > "$here/../x87-vectors.json"
wc -c "$here/../x87-vectors.json"

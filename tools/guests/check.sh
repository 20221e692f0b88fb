#!/usr/bin/env bash
# The guest images' reproducibility check (`make -C tools/guests check`; CI runs it).
#
# 1. Every program in programs/<runtime>/ has its committed image images/<runtime>-<name>.elf, and no
#    image is left without a program; linux-walk/ has images/lguest-linux-walk.bzImage.
# 2. verify.py checks the structure of every committed image (ELF, load addresses, multiboot header,
#    lguest_data) — this needs no compiler, so it always runs.
# 3. If this machine's toolchain (toolchain.sh) is the one recorded in TOOLCHAIN, the sources are
#    copied to a temporary directory — a different path, so path-dependent bytes would show — and
#    rebuilt there, and every image is compared byte for byte with the committed one. With another
#    toolchain the bytes may legitimately differ, so nothing is compared, and the script says so.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cc=${CC:-gcc}
failed=0

cd "$here"
expected=()
for src in programs/*/*.c; do
  runtime=$(basename "$(dirname "$src")")
  expected+=("$runtime-$(basename "$src" .c).elf")
done
for image in "${expected[@]}"; do
  if [ ! -f "images/$image" ]; then
    echo "guest images: images/$image is missing (run \`pnpm guests\` and commit it)"
    failed=1
  fi
done
for path in images/*.elf; do
  [ -e "$path" ] || continue
  image=$(basename "$path")
  if [[ " ${expected[*]} " != *" $image "* ]]; then
    echo "guest images: images/$image has no program in programs/ (remove it)"
    failed=1
  fi
done

# linux-walk is the one program built as a bzImage (linux-walk/, its own two-stage layout).
expected+=("lguest-linux-walk.bzImage")
if [ ! -f images/lguest-linux-walk.bzImage ]; then
  echo "guest images: images/lguest-linux-walk.bzImage is missing (run \`pnpm guests\` and commit it)"
  failed=1
fi

committed=(images/*.elf images/*.bzImage)
if [ -e "${committed[0]}" ]; then
  python3 "$here/verify.py" "${committed[@]}" || failed=1
fi

current=$(sh "$here/toolchain.sh" "$cc")
recorded=$(cat "$here/TOOLCHAIN")
if [ "$current" != "$recorded" ]; then
  echo "guest images: compared nothing — this toolchain ($(echo "$current" | paste -sd ';' | sed 's/;/; /g')) is not the recorded one ($(echo "$recorded" | paste -sd ';' | sed 's/;/; /g'))"
  exit "$failed"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/elsewhere/guests"
cp -R Makefile toolchain.sh include lib runtime programs linux-walk "$tmp/elsewhere/guests/"
if ! make -s -C "$tmp/elsewhere/guests" CC="$cc" OUT="$tmp/rebuilt" >"$tmp/build.log" 2>&1; then
  cat "$tmp/build.log"
  echo "guest images: the rebuild failed (is gcc-multilib installed? \`gcc -m32\` must work)"
  exit 1
fi

compared=0
for image in "${expected[@]}"; do
  [ -f "images/$image" ] || continue
  if cmp -s "images/$image" "$tmp/rebuilt/$image"; then
    compared=$((compared + 1))
  else
    echo "guest images: images/$image differs from a rebuild with the recorded toolchain (run \`pnpm guests\` and commit it)"
    failed=1
  fi
done
echo "guest images: $compared of ${#expected[@]} image(s) identical to a rebuild with $(echo "$recorded" | paste -sd ';' | sed 's/;/; /g')"
exit "$failed"

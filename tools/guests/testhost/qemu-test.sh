#!/usr/bin/env bash
# Boots every committed guest image under QEMU and compares its COM1 output with
# programs/<runtime>/<program>.expected (`make -C tools/guests qemu-test`). multiboot-* images boot
# directly (QEMU's multiboot loader, isa-debug-exit at port 0xF4); lguest-* images run on the test
# host (build/testhost.elf, see host.c) given as a multiboot module. A development check, not part of
# check.sh: it proves the runtimes on QEMU's x86 before the project's own CPU can run them, and it
# skips (exit 0) when qemu-system-i386 is not installed. A program whose source says
# "qemu-test: death" ends in a death the Host words (the hostile programs, the restarts): its output
# must be the .expected text followed by one "killed: <reason>" line, any reason except the guest's
# own "CRASH: survived …"/"CRASH: returned …". A program that says "qemu-test: skip" needs Host checks
# the test host leaves out, and is listed as skipped.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
if ! command -v qemu-system-i386 >/dev/null 2>&1; then
  echo "qemu-test: skipped — qemu-system-i386 is not installed (Debian package qemu-system-x86)"
  exit 0
fi

# QEMU turns an exit code c written to port 0xF4 into process status (c << 1) | 1.
expected_status=$(((0x10 << 1) | 1))
passed=0
failed=0
skipped=0
for image in images/*.elf; do
  name=$(basename "$image" .elf)
  runtime=${name%%-*}
  program=${name#*-}
  expected_file="programs/$runtime/$program.expected"
  source="programs/$runtime/$program.c"
  if grep -q 'qemu-test: skip' "$source" 2>/dev/null; then
    echo "skip $name"
    skipped=$((skipped + 1))
    continue
  fi
  death=0
  if grep -q 'qemu-test: death' "$source" 2>/dev/null; then death=1; fi
  if [ ! -f "$expected_file" ]; then
    echo "FAIL $name: no $expected_file"
    failed=$((failed + 1))
    continue
  fi
  args=(-kernel "$image")
  if [ "$runtime" = lguest ]; then args=(-kernel build/testhost.elf -initrd "$image"); fi
  status=0
  output=$(timeout 60 qemu-system-i386 -display none -no-reboot -monitor none -serial stdio -m 64 \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${args[@]}" </dev/null) || status=$?
  matched=0
  if [ "$death" -eq 1 ]; then
    last=$(printf '%s\n' "$output" | tail -n 1)
    body=$(printf '%s\n' "$output" | sed '$d')
    if [ "$body" = "$(cat "$expected_file")" ] && [[ "$last" == "killed: "* ]] &&
      [[ "$last" != "killed: CRASH: survived"* ]] && [[ "$last" != "killed: CRASH: returned"* ]]; then
      matched=1
    fi
  elif [ "$output" = "$(cat "$expected_file")" ]; then
    matched=1
  fi
  if [ "$status" -eq "$expected_status" ] && [ "$matched" -eq 1 ]; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name: status $status (want $expected_status), output:"
    printf '%s\n' "$output" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done
echo "qemu-test: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

#!/bin/sh
# Prints the toolchain that builds the guest images: the first line of `<cc> --version` and of the
# linker's `--version`. `make record` writes this to TOOLCHAIN; check.sh compares it with TOOLCHAIN to
# decide whether a byte-for-byte comparison of rebuilt images is meaningful.
cc=${1:-gcc}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "no compiler: $cc not found"
  exit 0
fi
"$cc" --version | head -n 1
"$("$cc" -print-prog-name=ld)" --version | head -n 1

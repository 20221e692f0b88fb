#!/usr/bin/env python3
"""Adds up vitest's per-package "Tests ..." lines from a `pnpm test` log into one closing line."""
import re
import sys

ansi = re.compile(r"\x1b\[[0-9;]*m")
passed = failed = skipped = 0
for raw in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = ansi.sub("", raw)
    m = re.search(r"\bTests\s+(.*)\(\d+\)\s*$", line)
    if not m:
        continue
    for count, word in re.findall(r"(\d+) (passed|failed|skipped|todo)", m.group(1)):
        if word == "passed":
            passed += int(count)
        elif word == "failed":
            failed += int(count)
        else:
            skipped += int(count)
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed or passed == 0 else 0)

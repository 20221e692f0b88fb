/*
 * Shared checks for the runtimes' self-test programs (programs/<runtime>/selftest.c): the C library
 * subset (string.h) and the formatter (format.h) as both runtimes link them. A program defines
 * SELFTEST_PRINTF (its console's printf) before including this header, calls expect()/expect_str()
 * for its own environment checks, then selftest_library(), and returns selftest_summary(): 0 when
 * every check passed. Each check prints "ok - <what>" or "FAIL - <what>", so a failure names itself
 * in the guest's console output.
 */
#ifndef GUESTS_SELFTEST_H
#define GUESTS_SELFTEST_H

#include <format.h>
#include <stdint.h>
#include <string.h>

#ifndef SELFTEST_PRINTF
#error "define SELFTEST_PRINTF to the runtime's printf before including selftest.h"
#endif

static unsigned selftest_passed, selftest_failed;

static void expect(int ok, const char *what) {
  if (ok) {
    selftest_passed++;
    SELFTEST_PRINTF("ok - %s\n", what);
  } else {
    selftest_failed++;
    SELFTEST_PRINTF("FAIL - %s\n", what);
  }
}

static void expect_u32(uint32_t got, uint32_t want, const char *what) {
  if (got == want) {
    expect(1, what);
  } else {
    selftest_failed++;
    SELFTEST_PRINTF("FAIL - %s: got %08x, want %08x\n", what, got, want);
  }
}

static void expect_str(const char *got, const char *want, const char *what) {
  if (strcmp(got, want) == 0) {
    expect(1, what);
  } else {
    selftest_failed++;
    SELFTEST_PRINTF("FAIL - %s: got \"%s\", want \"%s\"\n", what, got, want);
  }
}

static void selftest_library(void) {
  char buf[64];
  snformat(buf, sizeof buf, "%d %i %u", -42, 7, 4000000000u);
  expect_str(buf, "-42 7 4000000000", "format: signed and unsigned decimal");
  snformat(buf, sizeof buf, "%x %X %08x %p", 0xbeefu, 0xbeefu, 0x1234u, (void *)0x100000);
  expect_str(buf, "beef BEEF 00001234 0x00100000", "format: hex, zero padding, pointer");
  snformat(buf, sizeof buf, "[%5d|%-5d|%05d|%3s|%-3s|%c]", -12, 34, -56, "a", "b", 'z');
  expect_str(buf, "[  -12|34   |-0056|  a|b  |z]", "format: widths, left-justify, chars");
  snformat(buf, sizeof buf, "%llu %lld %llx", 18446744073709551615ull, -9223372036854775807ll - 1,
           0x123456789abcdefull);
  expect_str(buf, "18446744073709551615 -9223372036854775808 123456789abcdef", "format: 64-bit");
  /* Through volatile pointers: the compiler's format checking would reject these on purpose. */
  const char *volatile odd_format = "%d %s %% %q";
  const char *volatile null_string = 0;
  snformat(buf, sizeof buf, odd_format, -2147483647 - 1, null_string);
  expect_str(buf, "-2147483648 (null) % %q", "format: INT_MIN, null string, %%, unknown");
  int n = snformat(buf, 8, "%s", "0123456789");
  expect(n == 10 && strcmp(buf, "0123456") == 0, "format: truncation keeps the NUL, returns full length");

  char a[16];
  memset(a, 'x', sizeof a);
  memcpy(a, "hello", 6);
  expect(strlen(a) == 5 && a[6] == 'x', "memcpy, memset, strlen");
  memmove(a + 1, a, 5); /* overlapping, destination above */
  expect(memcmp(a, "hhello", 6) == 0, "memmove forwards overlap");
  memmove(a, a + 1, 5); /* overlapping, destination below */
  expect(memcmp(a, "helloo", 6) == 0, "memmove backwards overlap");
  expect(strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0 && strcmp("same", "same") == 0, "strcmp");
}

static int selftest_summary(void) {
  SELFTEST_PRINTF("selftest: %u passed, %u failed\n", selftest_passed, selftest_failed);
  return selftest_failed != 0;
}

#endif

/*
 * Host test: a power-off reason without a terminating NUL (spec §3.2). The reason buffer holds 128
 * letters and no NUL; the Host reads exactly 128 bytes, forces byte 127 to NUL and dies with
 * "CRASH: " followed by the first 127 letters (the Launcher prints that line). Expected: the console
 * line, then the death reason "CRASH: ABCD…" — the alphabet repeated, cut to 127 characters.
 */
#include <lguest.h>

static char reason[LGUEST_SHUTDOWN_TEXT + 16];

int main(void) {
  for (unsigned i = 0; i < sizeof reason; i++) reason[i] = (char)('A' + i % 26);
  lg_print("shutdown-long: a 128-byte reason without a NUL\n");
  hcall(LHCALL_SHUTDOWN, lg_gpa(reason), LGUEST_SHUTDOWN_POWEROFF, 0, 0);
  for (;;) __asm__ volatile("ud2");
}

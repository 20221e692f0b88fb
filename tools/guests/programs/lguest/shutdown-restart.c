/*
 * Host test: restart (spec §3.2). The guest prints one line, then sends SHUTDOWN(gpa of a 128-byte
 * reason, 2). The Host reads the reason as for a power-off, but the restart code overwrites the
 * death record with ERESTART: read() on /dev/lguest returns ERESTART (85) instead of a reason string
 * and the Launcher re-executes itself (§10). Expected: the console line below, then ERESTART — no
 * "CRASH:" text. If the Host resumed the guest, ud2 would kill it with "unhandled trap 6".
 * qemu-test: death (the test host prints "killed: ERESTART")
 */
#include <lguest.h>

static char reason[LGUEST_SHUTDOWN_TEXT] = "Restarting system";

int main(void) {
  lg_print("shutdown-restart: SHUTDOWN(reason, 2)\n");
  hcall(LHCALL_SHUTDOWN, lg_gpa(reason), LGUEST_SHUTDOWN_RESTART, 0, 0);
  for (;;) __asm__ volatile("ud2");
}

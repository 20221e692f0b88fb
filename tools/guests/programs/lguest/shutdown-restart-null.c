/*
 * Host test: restart with a NULL reason (spec §3.2). A Linux 3.10 or 3.18 `reboot` without a command
 * string passes the physical image of a NULL pointer, gpa 0x40000000, which lies beyond guest memory
 * (give the guest less than 1 GiB). The Host's 128-byte read fails — that failure would be the death
 * reason — but the restart code overwrites the death record with ERESTART anyway: read() returns
 * ERESTART (85) and the Launcher re-executes itself. Expected: the console line below, then ERESTART.
 * qemu-test: death (the test host prints "killed: ERESTART")
 */
#include <lguest.h>

int main(void) {
  lg_print("shutdown-restart-null: SHUTDOWN(0x40000000, 2)\n");
  hcall(LHCALL_SHUTDOWN, 0x40000000u, LGUEST_SHUTDOWN_RESTART, 0, 0);
  for (;;) __asm__ volatile("ud2");
}

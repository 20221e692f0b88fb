/*
 * How an lguest guest program ends, and the C side of its start. lg_start() is called by crt0 after
 * LGUEST_INIT; it runs main() and turns the result into a SHUTDOWN hypercall (spec §3.2). The Host
 * reads exactly 128 bytes at the reason's gpa, so every reason is first copied into a 128-byte buffer
 * of our own: the Host then reads defined bytes whatever the length of the text.
 */
#include <format.h>
#include <string.h>

#include "lguest.h"

static char reason[LGUEST_SHUTDOWN_TEXT];

/* The Host never resumes a guest after SHUTDOWN. If one did, ud2 makes it die with "unhandled trap
   6" rather than run on: a host bug should be loud. */
__attribute__((noreturn)) static void shutdown(uint32_t how) {
  lg_flush();
  hcall(LHCALL_SHUTDOWN, lg_gpa(reason), how, 0, 0);
  for (;;) __asm__ volatile("ud2");
}

void lg_panic(const char *msg) {
  size_t len = strlen(msg);
  if (len > LGUEST_SHUTDOWN_TEXT - 1) len = LGUEST_SHUTDOWN_TEXT - 1;
  memcpy(reason, msg, len);
  memset(reason + len, 0, LGUEST_SHUTDOWN_TEXT - len);
  shutdown(LGUEST_SHUTDOWN_POWEROFF);
}

void lg_poweroff(void) {
  /* The same text Linux's power-off hook passes, so a Launcher treats ours alike. */
  lg_panic("Power down");
}

void lg_exit(int code) {
  if (code == 0) lg_poweroff();
  memset(reason, 0, sizeof reason);
  snformat(reason, sizeof reason, "exit %d", code);
  shutdown(LGUEST_SHUTDOWN_POWEROFF);
}

__attribute__((noreturn)) void lg_start(void);

void lg_start(void) {
  lg_exit(main());
}

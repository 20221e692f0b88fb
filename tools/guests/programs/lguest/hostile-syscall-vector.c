/*
 * Hostile guest: LGUEST_INIT with syscall_vec 0x81 (spec §3.5 step 3). The program changes its
 * lguest_data before making INIT itself.
 * Expected death: "bad syscall vector 0x81" (naming the value). Nothing is printed.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

const char lg_manual_init = 1;

int main(void) {
  lguest_data.syscall_vec = 0x81;
  hcall(LHCALL_LGUEST_INIT, lg_gpa(&lguest_data), 0, 0, 0);
  lg_panic("survived INIT with syscall_vec 0x81");
}

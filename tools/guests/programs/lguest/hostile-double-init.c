/*
 * Hostile guest: a second LGUEST_INIT (spec §3.2). crt0 made the first.
 * Expected death: "already have lguest_data", after the console line.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

int main(void) {
  lg_print("hostile-double-init: INIT again\n");
  hcall(LHCALL_LGUEST_INIT, lg_gpa(&lguest_data), 0, 0, 0);
  lg_panic("survived a second INIT");
}

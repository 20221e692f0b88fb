/*
 * Hostile guest: LGUEST_INIT with a bad lguest_data pointer (spec §3.5 step 1, §1.3). The block
 * at gpa 0xfffff000 would run 1392 bytes past 2^32: the range check must catch the 32-bit wrap.
 * Expected death: "bad guest page 0xfffff000" (naming the address). Nothing is printed.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

const char lg_manual_init = 1;

int main(void) {
  hcall(LHCALL_LGUEST_INIT, 0xFFFFF000u, 0, 0, 0);
  lg_panic("survived INIT with a bad lguest_data pointer");
}

/*
 * Hostile guest: SET_PMD (13) on a non-PAE Host, where it is an unknown call (spec §3.2).
 * Expected death: "Bad hypercall 13", after the console line.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

int main(void) {
  lg_print("hostile-set-pmd: SET_PMD\n");
  hcall(LHCALL_SET_PMD, 0x200000u, 0, 0, 0);
  lg_panic("survived SET_PMD");
}

/*
 * Hostile guest: unknown hypercall numbers (spec §3.2: "other" kills). Number 3 was LOAD_GDT
 * once and is unknown now; the program tries it first.
 * Expected death: "Bad hypercall 3", after the console line.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

int main(void) {
  lg_print("hostile-bad-hcall: hypercall 3\n");
  hcall(3, 0, 0, 0, 0);
  lg_panic("survived hypercall 3");
}

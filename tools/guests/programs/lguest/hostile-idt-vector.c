/*
 * Hostile guest: LOAD_IDT_ENTRY for vector 256 (spec §6.6 step 2).
 * Expected death: "Setting idt entry 256", after the console line.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

int main(void) {
  lg_print("hostile-idt-vector: vector 256\n");
  hcall(LHCALL_LOAD_IDT_ENTRY, 256, 0x00610000u, 0x00008E00u, 0);
  lg_panic("survived IDT vector 256");
}

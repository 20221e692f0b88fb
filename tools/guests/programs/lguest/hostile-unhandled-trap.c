/*
 * Hostile guest: a trap with no IDT entry (spec §6.4: reflecting to a not-present entry kills).
 * The guest has loaded no IDT entry at all and executes ud2.
 * Expected death: "unhandled trap 6 at <eip of the ud2> (0)", after the console line.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

int main(void) {
  lg_print("hostile-unhandled-trap: ud2, no IDT\n");
  __asm__ volatile("ud2");
  lg_panic("survived ud2 without an IDT");
}

/*
 * Hostile guest: a trap whose frame cannot be pushed (spec §1.4, §6.3). The guest installs a #UD
 * gate, moves esp to 0xf0000000 — beyond guest memory (give it less than 3.75 GiB) — and executes
 * ud2. The Host's first 4-byte push of the frame, at 0xeffffffc, is outside pfn_limit.
 * Expected death: a bad guest-memory write or address at 0xeffffffc (the Host's wording; in
 * linear mode possibly "bad page table entry" for that page), after the console line.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <hosttest.h>

int main(void) {
  lgt_set_gate(6, LGT_INTERRUPT_GATE, 0, lgt_probe_handler);
  lg_print("hostile-frame-push: ud2 with esp 0xf0000000\n");
  __asm__ volatile("movl $0xf0000000, %%esp\n\tud2" : : : "memory");
  lg_panic("survived a frame push beyond memory");
}

/*
 * Hostile guest: LOAD_IDT_ENTRY of a present task gate (type 5) on vector 0x30 (spec §6.6 step 4;
 * only 2, 8, 15 and 0x1f are ignored, which hcalls.c shows). Expected death: "bad IDT type 5",
 * after the console line.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

int main(void) {
  lg_print("hostile-idt-type: task gate at 0x30\n");
  hcall(LHCALL_LOAD_IDT_ENTRY, 0x30, 0x00610000u, 0x00008500u, 0);
  lg_panic("survived a task gate");
}

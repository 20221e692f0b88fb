/*
 * Hostile guest: SET_STACK with 3 pages (spec §3.2: pages > 2 kills).
 * Expected death: "bad stack pages 3", after the console line.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

static uint8_t stack[16384] __attribute__((aligned(4096)));

int main(void) {
  lg_print("hostile-stack-pages: SET_STACK(0x69, ..., 3)\n");
  hcall(LHCALL_SET_STACK, 0x69, lg_gpa(stack + sizeof stack), 3, 0);
  lg_panic("survived SET_STACK with 3 pages");
}

/*
 * Hostile guest: SET_STACK with a stack segment whose RPL is not 1 (spec §3.2: ss & 3 != 1).
 * Expected death: "bad stack segment 0x68", after the console line.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

static uint8_t stack[8192] __attribute__((aligned(4096)));

int main(void) {
  lg_print("hostile-stack-segment: SET_STACK(0x68, ...)\n");
  hcall(LHCALL_SET_STACK, 0x68, lg_gpa(stack + sizeof stack), 2, 0);
  lg_panic("survived SET_STACK with ss 0x68");
}

/*
 * Hostile guest: LOAD_TLS with a descriptor array at gpa 0xfffffff0, whose 24 bytes would wrap
 * past 2^32 (spec §1.3, §5.3). Expected death: a bad guest-memory read at 0xfffffff0 (length 24),
 * after the console line.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

int main(void) {
  lg_print("hostile-tls-range: LOAD_TLS(0xfffffff0)\n");
  hcall(LHCALL_LOAD_TLS, 0xFFFFFFF0u, 0, 0, 0);
  lg_panic("survived LOAD_TLS beyond memory");
}

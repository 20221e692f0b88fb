/*
 * Hostile guest: LGUEST_INIT with kernel_address 0xfffff000, inside the Switcher region (spec
 * §3.5 step 6, §5.4: kernel_address >= switcher_addr kills).
 * Expected death: "bad kernel address 0xfffff000". Nothing is printed.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

const char lg_manual_init = 1;

int main(void) {
  lguest_data.kernel_address = 0xFFFFF000u;
  hcall(LHCALL_LGUEST_INIT, lg_gpa(&lguest_data), 0, 0, 0);
  lg_panic("survived INIT with kernel_address 0xfffff000");
}

/*
 * Hostile guest: SET_PTE for an address in the Switcher region (spec §5.4, §7.5). 0xfffff000 lies
 * above 2^32 - reserve_mem whatever the Host reserved. Expected death: "attempt to set pte into
 * Switcher pages", after the console line.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <hosttest.h>

int main(void) {
  lgt_paging_on(LGT_PTE_P | LGT_PTE_RW);
  lg_print("hostile-set-pte-switcher: SET_PTE(0xfffff000)\n");
  hcall(LHCALL_SET_PTE, lg_gpa(lgt_pgdir), 0xFFFFF000u, 0x00200000u | LGT_PTE_P | LGT_PTE_RW, 0);
  lg_panic("survived SET_PTE into the Switcher region");
}

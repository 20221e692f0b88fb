/*
 * Hostile guest: a page-directory entry with the PSE bit (0x080) set (spec §7.2: a present PDE
 * with flags outside 0x067 kills). The guest switches to its own page table, sets PDE 2 to a 4 MiB
 * "large page" and reads through it. Expected death: "bad page directory entry", after the line.
 * qemu-test: skip (the test host checks no page-table entries and pins no stack)
 */
#include <hosttest.h>

int main(void) {
  lgt_paging_on(LGT_PTE_P | LGT_PTE_RW);
  lgt_pgdir[2] = 0x00800000u | 0x080u | LGT_PTE_P | LGT_PTE_RW;
  lg_print("hostile-bad-pde: read through a PSE PDE\n");
  (void)*(volatile uint32_t *)0x00800000u;
  lg_panic("survived a PSE directory entry");
}

/*
 * Hostile guest: a page-table entry whose pfn is beyond guest memory (spec §7.2, §7.3 step 5). The
 * guest switches to its own identity page table (NEW_PGTABLE), then maps 0x00800000 to pfn 0xfffff
 * and reads it. Expected death: "bad page table entry" naming that entry, after the console line.
 * qemu-test: skip (the test host checks no page-table entries and pins no stack)
 */
#include <hosttest.h>

static uint32_t table[1024] __attribute__((aligned(4096)));

int main(void) {
  lgt_paging_on(LGT_PTE_P | LGT_PTE_RW);
  table[0] = 0xFFFFF000u | LGT_PTE_P | LGT_PTE_RW;
  lgt_pgdir[2] = lg_gpa(table) | LGT_PTE_P | LGT_PTE_RW;
  lg_print("hostile-bad-pte: read through pfn 0xfffff\n");
  (void)*(volatile uint32_t *)0x00800000u;
  lg_panic("survived a PTE beyond memory");
}

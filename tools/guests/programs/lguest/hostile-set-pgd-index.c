/*
 * Hostile guest: SET_PGD with index 1025 (spec §7.5: idx > 1024 kills; the reference bound lets
 * 1024 through, so 1025 is the first index every Host must refuse). Expected death: a bad SET_PGD
 * index naming 1025, after the console line.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <hosttest.h>

int main(void) {
  lgt_paging_on(LGT_PTE_P | LGT_PTE_RW);
  lg_print("hostile-set-pgd-index: SET_PGD(dir, 1025)\n");
  hcall(LHCALL_SET_PGD, lg_gpa(lgt_pgdir), 1025, 0, 0);
  lg_panic("survived SET_PGD index 1025");
}

/*
 * Hostile guest: SET_STACK whose pages lie beyond guest memory (spec §7.6). In linear mode the
 * pinning's demand_page(0xf0000000 - 1, write) finds a pfn beyond pfn_limit (§7.3 step 5; give
 * the guest less than 3.75 GiB). Expected death: "bad stack page" for 0xefffffff — or, if the Host
 * reports the page-table check first, "bad page table entry" naming that pfn — after the line.
 * qemu-test: skip (the test host checks no page-table entries and pins no stack)
 */
#include <lguest.h>

int main(void) {
  lg_print("hostile-stack-page: SET_STACK(0x69, 0xf0000000, 2)\n");
  hcall(LHCALL_SET_STACK, 0x69, 0xF0000000u, 2, 0);
  lg_panic("survived SET_STACK beyond memory");
}

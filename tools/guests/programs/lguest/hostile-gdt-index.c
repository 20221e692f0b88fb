/*
 * Hostile guest: LOAD_GDT_ENTRY for index 32 (spec §5.3: i >= 32 kills).
 * Expected death: "too many gdt entries 32", after the console line.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

int main(void) {
  lg_print("hostile-gdt-index: GDT entry 32\n");
  hcall(LHCALL_LOAD_GDT_ENTRY, 32, 0x0000FFFFu, 0x00CFB300u, 0);
  lg_panic("survived GDT entry 32");
}

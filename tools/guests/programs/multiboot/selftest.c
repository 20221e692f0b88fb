/*
 * Self-test of the bare-metal multiboot runtime: that the loader entered it as the multiboot spec
 * says (EAX magic, so mb_info is set) and that the runtime's own GDT is in force at CPL 0, and that
 * the shared library works (include/selftest.h). All passed → exit(MB_EXIT_SUCCESS), any failure →
 * exit(MB_EXIT_FAILURE).
 */
#include <multiboot.h>

#define SELFTEST_PRINTF serial_printf
#include <selftest.h>

static uint32_t read_cs(void) {
  uint32_t v;
  __asm__ volatile("movl %%cs, %0" : "=r"(v));
  return v;
}

static uint32_t read_ss(void) {
  uint32_t v;
  __asm__ volatile("movl %%ss, %0" : "=r"(v));
  return v;
}

int main(void) {
  expect(mb_info != 0, "entered by a multiboot loader (EAX magic)");
  expect(mb_info && (mb_info->flags & 1) && mb_info->mem_upper >= 1024, "memory information: 1 MiB or more above 1 MiB");
  expect_u32(read_cs(), 0x08, "runtime GDT: cs 0x08 (CPL 0)");
  expect_u32(read_ss(), 0x10, "runtime GDT: ss 0x10");
  selftest_library();
  return selftest_summary();
}

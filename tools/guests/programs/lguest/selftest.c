/*
 * Self-test of the lguest guest runtime, on whatever Host runs it: that the guest was entered as
 * spec §5.5 says (CPL 1, cs 0x61, ds/ss 0x69, esi = 0, the real IF set), that the Host answered
 * LGUEST_INIT (reserve_mem written, §3.5), and that the shared library works (include/selftest.h).
 * Its console lines also exercise the early console's 16-character chunks. All passed → power off
 * ("CRASH: Power down"); any failure → "CRASH: exit 1".
 */
#include <lguest.h>

#define SELFTEST_PRINTF lg_printf
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

static uint32_t read_ds(void) {
  uint32_t v;
  __asm__ volatile("movl %%ds, %0" : "=r"(v));
  return v;
}

static uint32_t read_eflags(void) {
  uint32_t v;
  __asm__ volatile("pushfl; popl %0" : "=r"(v));
  return v;
}

int main(void) {
  expect_u32(read_cs(), 0x61, "entered with cs 0x61 (CPL 1)");
  expect_u32(read_ss(), 0x69, "entered with ss 0x69");
  expect_u32(read_ds(), 0x69, "entered with ds 0x69");
  expect_u32(lg_boot_params, 0, "entered with esi = 0 (boot_params at gpa 0)");
  expect((read_eflags() & 0x200) != 0, "the real EFLAGS.IF is set");
  expect(lguest_data.reserve_mem != 0, "LGUEST_INIT wrote reserve_mem");
  expect_u32(lguest_data.syscall_vec, 0x80, "syscall_vec still 0x80");
  selftest_library();
  return selftest_summary();
}

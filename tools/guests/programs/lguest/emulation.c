/*
 * Host test: #GP emulation (spec §6.9, §13). At CPL 1 every port access and cli raise #GP(0), which
 * the Host emulates instead of reflecting: IN gives all ones in the accessed part of eax (byte, word
 * with 0x66, dword; imm8 and dx forms), OUT is discarded, cli is skipped, and `mov %cr4, reg`
 * (0F 20 with ModRM reg 4, mod bits ignored) reads 0; eip moves past the instruction and the guest
 * takes no trap. Anything else — string I/O, other prefixes, other control registers, rdmsr — is
 * reflected as #GP(0) at the instruction. At CPL 3 nothing is emulated (CS RPL 3): the same port I/O,
 * cli and mov from CR4 are reflected to the guest's #GP handler with cs 0x73.
 */
#include <hosttest.h>

static volatile uint8_t buffer[16];

static void check_in(const char *name, uint32_t got, uint32_t want) {
  uint32_t traps = lgt_last.count;
  lgt_last.count = 0;
  lgt_check(traps == 0 && got == want, name);
  if (traps != 0 || got != want) lg_printf("  (traps %u, eax %08x, want %08x)\n", traps, got, want);
}

static void emulated_at_cpl1(void) {
  uint32_t v = 0x12345600u;
  LGT_TRY("inb $0x80, %%al", : "+a"(v) : : "memory");
  check_in("inb imm8: al = 0xff, rest kept", v, 0x123456FFu);
  v = 0x12340000u;
  LGT_TRY("inw $0x80, %%ax", : "+a"(v) : : "memory");
  check_in("inw imm8 (0x66): ax = 0xffff, rest kept", v, 0x1234FFFFu);
  v = 0x12345678u;
  LGT_TRY("inl $0x80, %%eax", : "+a"(v) : : "memory");
  check_in("inl imm8: eax = 0xffffffff", v, 0xFFFFFFFFu);
  v = 0xABCDEF00u;
  LGT_TRY("inb %%dx, %%al", : "+a"(v) : "d"(0x3F8) : "memory");
  check_in("inb dx", v, 0xABCDEFFFu);
  v = 0xABCD0000u;
  LGT_TRY("inw %%dx, %%ax", : "+a"(v) : "d"(0x3F8) : "memory");
  check_in("inw dx (0x66)", v, 0xABCDFFFFu);
  v = 0;
  LGT_TRY("inl %%dx, %%eax", : "+a"(v) : "d"(0xCF8) : "memory");
  check_in("inl dx", v, 0xFFFFFFFFu);
  v = 0x11111100u;
  LGT_TRY(".byte 0x66, 0xe4, 0x80", : "+a"(v) : : "memory");
  check_in("0x66 e4 (byte in with a prefix): al = 0xff", v, 0x111111FFu);

  v = 0x5A5A5A5Au;
  LGT_TRY("outb %%al, $0x80\n\toutw %%ax, $0x80\n\toutl %%eax, $0x80", : "+a"(v) : : "memory");
  check_in("outb/outw/outl imm8: discarded, eax unchanged", v, 0x5A5A5A5Au);
  LGT_TRY("outb %%al, %%dx\n\toutw %%ax, %%dx\n\toutl %%eax, %%dx", : "+a"(v) : "d"(0x3F8) : "memory");
  check_in("outb/outw/outl dx: discarded", v, 0x5A5A5A5Au);

  uint32_t irq = lguest_data.irq_enabled;
  LGT_TRY("cli", : : : "memory");
  lgt_expect_no_trap("cli at CPL 1 is skipped");
  lgt_check_u32("cli leaves irq_enabled alone", lguest_data.irq_enabled, irq);

  v = 0x12345678u;
  LGT_TRY("mov %%cr4, %%eax", : "+a"(v) : : "memory");
  check_in("mov %cr4, %eax reads 0", v, 0);
  uint32_t b = 0x12345678u;
  LGT_TRY("mov %%cr4, %%ebx", : "+b"(b) : : "memory");
  check_in("mov %cr4, %ebx reads 0", b, 0);
  v = 0x12345678u;
  LGT_TRY(".byte 0x0f, 0x20, 0x20", : "+a"(v) : : "memory");
  check_in("0f 20 20 (mod bits 00) is mov %cr4, %eax too", v, 0);
}

static void reflected_at_cpl1(void) {
  LGT_TRY("insb (%%dx), %%es:(%%edi)", : : "d"(0x80), "D"(buffer) : "memory");
  lgt_expect_trap("insb: reflected #GP(0)", 13, 0, 0, LGT_KERNEL_CS);
  LGT_TRY("outsb %%ds:(%%esi), (%%dx)", : : "d"(0x80), "S"(buffer) : "memory");
  lgt_expect_trap("outsb: reflected #GP(0)", 13, 0, 0, LGT_KERNEL_CS);
  LGT_TRY(".byte 0xf3, 0xec", : : "d"(0x80) : "eax", "memory");
  lgt_expect_trap("rep-prefixed in: reflected #GP(0)", 13, 0, 0, LGT_KERNEL_CS);
  LGT_TRY(".byte 0x66, 0x66, 0xe5, 0x80", : : : "eax", "memory");
  lgt_expect_trap("two 0x66 prefixes: reflected #GP(0)", 13, 0, 0, LGT_KERNEL_CS);
  LGT_TRY("mov %%cr0, %%eax", : : : "eax", "memory");
  lgt_expect_trap("mov %cr0, %eax: reflected #GP(0)", 13, 0, 0, LGT_KERNEL_CS);
  LGT_TRY("mov %%eax, %%cr4", : : "a"(0) : "memory");
  lgt_expect_trap("mov %eax, %cr4: reflected #GP(0)", 13, 0, 0, LGT_KERNEL_CS);
  LGT_TRY("rdmsr", : : "c"(0x10) : "eax", "edx", "memory");
  lgt_expect_trap("rdmsr: reflected #GP(0)", 13, 0, 0, LGT_KERNEL_CS);
}

static uint32_t user_inb(void) {
  LGT_TRY("inb $0x80, %%al", : : : "eax", "memory");
  return 0;
}

static uint32_t user_outb_dx(void) {
  LGT_TRY("outb %%al, %%dx", : : "a"(0), "d"(0x3F8) : "memory");
  return 0;
}

static uint32_t user_cli(void) {
  LGT_TRY("cli", : : : "memory");
  return 0;
}

static uint32_t user_cr4(void) {
  LGT_TRY("mov %%cr4, %%eax", : : : "eax", "memory");
  return 0;
}

static void reflected_at_cpl3(void) {
  lgt_paging_on(LGT_PTE_P | LGT_PTE_RW | LGT_PTE_US);
  lgt_user_init(LGT_TRAP_GATE);
  lgt_user_call(user_inb);
  lgt_expect_trap("CPL 3 inb imm8: #GP(0) reflected, cs 0x73", 13, 0, 0, LGT_USER_CS);
  lgt_user_call(user_outb_dx);
  lgt_expect_trap("CPL 3 outb dx: #GP(0) reflected", 13, 0, 0, LGT_USER_CS);
  lgt_user_call(user_cli);
  lgt_expect_trap("CPL 3 cli: #GP(0) reflected", 13, 0, 0, LGT_USER_CS);
  lgt_user_call(user_cr4);
  lgt_expect_trap("CPL 3 mov %cr4: #GP(0) reflected", 13, 0, 0, LGT_USER_CS);
}

int main(void) {
  lgt_probe_exceptions(LGT_INTERRUPT_GATE);
  lg_print("emulation: #GP(0) at CPL 1 and CPL 3\n");
  emulated_at_cpl1();
  reflected_at_cpl1();
  reflected_at_cpl3();
  return lgt_summary("emulation");
}

/*
 * Host test: user mode. The guest builds a page table (NEW_PGTABLE, §7.4; the first 4 MiB 1:1 with
 * US set), loads user code and data segments (LOAD_GDT_ENTRY 14/15, §5.3), gives the Host its ring-1
 * stack (SET_STACK, §3.2, whose pages the Host pins, §7.6) and enters CPL 3 with iret (§5.1). It
 * checks `int $0x80` system calls
 * through a DPL 3 trap gate and through an interrupt gate (which clears irq_enabled, §6.3), the frame
 * of a trap from CPL 3 (built at the top of the SET_STACK stack with the user ss and esp, §6.3 step
 * 1), the gate-DPL check for int n / int3 from CPL 3 and `int $0x1f` giving #GP(0xfa) (§3.1, §6.5),
 * user page faults reflected with their error codes and cr2 (§6.11, §7.3 step 4; SET_PTE, §7.5),
 * CR0.WP for CPL 1 writes (§13), GDT sanitising (DPL 0 becomes 1, §5.3) and TLS through LOAD_TLS and
 * %gs at CPL 1 and 3 — and that the guest comes back to CPL 1.
 */
#include <hosttest.h>

static uint8_t kernel_only[4096] __attribute__((aligned(4096)));
static uint8_t read_only[4096] __attribute__((aligned(4096)));
static volatile uint32_t tls_words[3][4] = {{0x7715A000u}, {0x7715B000u}, {0x7715C000u}};
static volatile uint32_t segment_word = 0x5E6E0001u;
static uint32_t tls_descriptors[6];

static uint32_t read_cs(void) {
  uint32_t v;
  __asm__ volatile("mov %%cs, %0" : "=r"(v));
  return v;
}

static void set_pte(const void *page, uint32_t flags) {
  uint32_t vaddr = lg_gpa(page);
  lgt_pt_low[vaddr >> 12] = vaddr | flags;
  hcall(LHCALL_SET_PTE, lg_gpa(lgt_pgdir), vaddr, vaddr | flags, 0);
}

static uint32_t user_syscalls(void) {
  uint32_t sum = 0;
  for (uint32_t i = 0; i < 10; i++) sum += lgt_sys(LGT_SYS_ADD1, i);
  return sum;
}

static uint32_t user_cs(void) {
  return read_cs();
}

static uint32_t user_irq_in_syscall(void) {
  return lgt_sys(LGT_SYS_IRQ, 0);
}

static uint32_t user_irq_after_syscall(void) {
  lgt_sys(LGT_SYS_ADD1, 0);
  return lguest_data.irq_enabled;
}

static uint32_t user_ud2(void) {
  LGT_TRY("ud2", : : : "memory");
  return 0;
}

static uint32_t user_int3(void) {
  LGT_TRY("int3", : : : "memory");
  return 0;
}

static uint32_t user_int40(void) {
  LGT_TRY("int $0x40", : : : "memory");
  return 0;
}

static uint32_t user_int41(void) {
  LGT_TRY("int $0x41", : : : "memory");
  return 0;
}

static uint32_t user_hypercall(void) {
  LGT_TRY("int $0x1f", : : "a"(LHCALL_FLUSH_ASYNC) : "memory");
  return 0;
}

static uint32_t user_read_unmapped(void) {
  uint32_t v;
  LGT_TRY("movl 0x00800010, %0", : "=r"(v) : : "memory");
  return 0;
}

static uint32_t user_write_unmapped(void) {
  LGT_TRY("movl %0, 0x00800020", : : "r"(1) : "memory");
  return 0;
}

static uint32_t user_read_kernel_page(void) {
  uint32_t v;
  LGT_TRY("movl (%1), %0", : "=r"(v) : "r"(kernel_only + 8) : "memory");
  return 0;
}

static uint32_t user_write_read_only(void) {
  LGT_TRY("movl %0, (%1)", : : "r"(1), "r"(read_only + 12) : "memory");
  return 0;
}

static uint32_t user_read_read_only(void) {
  return *(volatile uint32_t *)(read_only + 12);
}

static uint32_t user_tls(void) {
  return lgt_read_gs0(0x33) ^ lgt_read_gs0(0x3B) ^ lgt_read_gs0(0x43);
}

static uint32_t user_dpl1_segment(void) {
  LGT_TRY("mov %0, %%fs", : : "r"(0xAB) : "memory");
  return 0;
}

/* A trap from CPL 3: cs 0x73, the user ss/esp in the frame, the frame at the top of the ring-1 stack. */
static void check_user_frame(const char *name) {
  uint32_t top = lg_gpa(lgt_kernel_stack + sizeof lgt_kernel_stack);
  lgt_check(lgt_last.user_ss == LGT_USER_DS && lgt_last.user_esp == lgt_probe_esp && lgt_last.frame_at == top - 20 &&
                (lgt_last.eflags & 0x200),
            name);
}

static void system_calls(void) {
  lgt_check_u32("int $0x80 x10 from CPL 3 (trap gate): sum of i+1", lgt_user_call(user_syscalls), 55);
  lgt_check_u32("the guest was at CPL 3 (cs 0x73)", lgt_user_call(user_cs), LGT_USER_CS);
  lgt_check_u32("back at CPL 1 after the exit system call", read_cs(), LGT_KERNEL_CS);
  lgt_check_u32("trap gate: irq_enabled 0x200 in the handler", lgt_user_call(user_irq_in_syscall), 0x200);

  lgt_user_init(LGT_INTERRUPT_GATE);
  lgt_check_u32("interrupt gate: irq_enabled 0 in the handler", lgt_user_call(user_irq_in_syscall), 0);
  lgt_check_u32("interrupt gate: irq_enabled 0x200 again in user mode", lgt_user_call(user_irq_after_syscall),
                0x200);
  lgt_check_u32("int $0x80 x10 through the interrupt gate", lgt_user_call(user_syscalls), 55);
  lgt_user_init(LGT_TRAP_GATE);
}

static void user_traps(void) {
  lgt_user_call(user_ud2);
  lgt_expect_trap("CPL 3 ud2: #UD through a DPL 0 gate (exceptions ignore DPL)", 6, 0, 0, LGT_USER_CS);
  lgt_user_call(user_ud2);
  check_user_frame("CPL 3 frame: user ss 0x7b and esp, at the SET_STACK top");
  lgt_last.count = 0;

  lgt_user_call(user_int3);
  lgt_expect_trap("CPL 3 int3 through a DPL 3 gate", 3, 0, 1, LGT_USER_CS);

  lgt_set_gate(0x40, LGT_INTERRUPT_GATE, 1, lgt_probe_handler);
  lgt_set_gate(0x41, LGT_TRAP_GATE, 3, lgt_probe_handler);
  lgt_user_call(user_int40);
  lgt_expect_trap("CPL 3 int $0x40 through a DPL 1 gate: #GP(0x202)", 13, 0x202, 0, LGT_USER_CS);
  lgt_user_call(user_int41);
  lgt_expect_trap("CPL 3 int $0x41 through a DPL 3 gate", 0x41, 0, 2, LGT_USER_CS);
  lgt_user_call(user_hypercall);
  lgt_expect_trap("CPL 3 int $0x1f: #GP(0xfa)", 13, 0xFA, 0, LGT_USER_CS);
}

static void user_page_faults(void) {
  lgt_user_call(user_read_unmapped);
  lgt_check_u32("user read of an unmapped page: cr2", lgt_last.cr2, 0x00800010);
  lgt_expect_trap("user read of an unmapped page: #PF error 4", 14, 4, 0, LGT_USER_CS);
  lgt_user_call(user_write_unmapped);
  lgt_check_u32("user write of an unmapped page: cr2", lgt_last.cr2, 0x00800020);
  lgt_expect_trap("user write of an unmapped page: #PF error 6", 14, 6, 0, LGT_USER_CS);

  /* Present pages: error bit 0 (present) depends on whether the Host had the page in its shadow
     table (§7.3 ignores it), so only the write and user bits are checked. */
  set_pte(kernel_only, LGT_PTE_P | LGT_PTE_RW);
  kernel_only[8] = 1;
  lgt_user_call(user_read_kernel_page);
  lgt_check(lgt_last.count == 1 && lgt_last.vector == 14 && (lgt_last.error & 6) == 4 &&
                lgt_last.cr2 == lg_gpa(kernel_only + 8) && lgt_last.cs == LGT_USER_CS,
            "user read of a supervisor page: #PF user|read, cr2");
  lgt_last.count = 0;

  set_pte(read_only, LGT_PTE_P | LGT_PTE_US);
  lgt_check_u32("user read of a read-only page works", lgt_user_call(user_read_read_only), 0);
  lgt_user_call(user_write_read_only);
  lgt_check(lgt_last.count == 1 && lgt_last.vector == 14 && (lgt_last.error & 6) == 6 &&
                lgt_last.cr2 == lg_gpa(read_only + 12),
            "user write of a read-only page: #PF user|write, cr2");
  lgt_last.count = 0;
  LGT_TRY("movl %0, (%1)", : : "r"(1), "r"(read_only + 16) : "memory");
  lgt_check(lgt_last.count == 1 && lgt_last.vector == 14 && (lgt_last.error & 6) == 2 &&
                lgt_last.cr2 == lg_gpa(read_only + 16) && lgt_last.cs == LGT_KERNEL_CS,
            "CPL 1 write of a read-only page faults (CR0.WP): #PF write, cr2");
  lgt_last.count = 0;
}

static void segments(void) {
  /* GDT 21: a data segment based at segment_word with DPL 0; the Host raises it to DPL 1. */
  uint32_t lo, hi;
  lgt_data_descriptor(lg_gpa(&segment_word), 0, &lo, &hi);
  hcall(LHCALL_LOAD_GDT_ENTRY, 21, lo, hi, 0);
  lgt_check_u32("LOAD_GDT_ENTRY with DPL 0: loadable at CPL 1, base applied", lgt_read_fs0(0xA9), 0x5E6E0001u);
  lgt_user_call(user_dpl1_segment);
  lgt_expect_trap("the same segment at CPL 3: #GP(0xa8) (DPL became 1, not 3)", 13, 0xA8, 0, LGT_USER_CS);

  for (int i = 0; i < 3; i++) {
    lgt_data_descriptor(lg_gpa(tls_words[i]), 3, &lo, &hi);
    tls_descriptors[2 * i] = lo;
    tls_descriptors[2 * i + 1] = hi;
  }
  hcall(LHCALL_LOAD_TLS, lg_gpa(tls_descriptors), 0, 0, 0);
  lgt_check_u32("LOAD_TLS: %gs 0x31 (entry 6) at CPL 1", lgt_read_gs0(0x31), 0x7715A000u);
  lgt_check_u32("LOAD_TLS: entries 6, 7, 8 through %gs at CPL 3", lgt_user_call(user_tls),
                0x7715A000u ^ 0x7715B000u ^ 0x7715C000u);
}

int main(void) {
  lgt_probe_exceptions(LGT_INTERRUPT_GATE);
  lg_print("usermode: paging, CPL 3, system calls\n");
  lgt_paging_on(LGT_PTE_P | LGT_PTE_RW | LGT_PTE_US);
  lgt_user_init(LGT_TRAP_GATE);
  /* §7.6: SET_STACK pins both stack pages with a write demand_page, which sets A and D. */
  uint32_t top_page = (lg_gpa(lgt_kernel_stack + sizeof lgt_kernel_stack) - 1) >> 12;
  lgt_check_u32("SET_STACK pinned both stack pages (A and D set)",
                (lgt_pt_low[top_page] & lgt_pt_low[top_page - 1]) & (LGT_PTE_A | LGT_PTE_D), LGT_PTE_A | LGT_PTE_D);
  system_calls();
  user_traps();
  user_page_faults();
  segments();
  return lgt_summary("usermode");
}

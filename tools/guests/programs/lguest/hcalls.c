/*
 * Host test: every hypercall of spec §3.2 with valid arguments, and what the guest can see of each.
 * LGUEST_INIT (made by crt0): reserve_mem, time written (§3.5). FLUSH_ASYNC and SEND_INTERRUPTS:
 * nothing, every register preserved (§3.1). NOTIFY: the console lines themselves, including one of
 * exactly 16 characters (§9.6). LOAD_IDT_ENTRY: the ignored vectors 2, 8, 15 and 0x1f accept any
 * type, a not-present entry any type, and the selector is forced to 0x61 (§6.6). LOAD_GDT_ENTRY:
 * segment bases, and host-owned entry 10 unused (§5.2). LOAD_TLS: %gs. NEW_PGTABLE, SET_PGD, SET_PTE,
 * FLUSH_TLB(0) and FLUSH_TLB(1) through an alias page (§7.4, §7.5), A and D kept in a guest PTE
 * (§7.3), and five page directories
 * switched among more than the Host's four cached ones. TS: #NM. SET_STACK: accepted (usermode uses
 * it). SET_CLOCKEVENT and HALT: the clock wakes the guest. SHUTDOWN: the final power-off.
 */
#include <hosttest.h>

#define DIRECTORIES 5
#define ALIAS 0x40000000u        /* PDE 256: below kernel_address */
#define KERNEL_ALIAS 0xC0400000u /* PDE 769: above kernel_address 0xC0000000 */

static uint32_t directories[DIRECTORIES][1024] __attribute__((aligned(4096)));
static uint32_t alias_tables[DIRECTORIES][1024] __attribute__((aligned(4096)));
static uint32_t alias_table[1024] __attribute__((aligned(4096)));
static uint32_t kernel_alias_table[1024] __attribute__((aligned(4096)));
static volatile uint32_t page_a[1024] __attribute__((aligned(4096)));
static volatile uint32_t page_b[1024] __attribute__((aligned(4096)));
/* Touched only by the A/D test, after paging is on. */
static volatile uint32_t ad_page[1024] __attribute__((aligned(4096)));
static volatile uint32_t fs_word = 0xF5000001u;
static uint32_t tls[6];
static volatile uint32_t gate_cs;
/* Register images around two hypercalls; named in the asm, hence "used". */
static uint32_t regs_in[6] __attribute__((used)) = {0x11111111u, 0x22222222u, 0x33333333u,
                                                     0x44444444u, 0x55555555u, 0x66666666u};
static uint32_t regs_out[6] __attribute__((used));

static uint32_t read_cs(void) {
  uint32_t v;
  __asm__ volatile("mov %%cs, %0" : "=r"(v));
  return v;
}

static void cs_handler(struct lgt_frame *frame, uint32_t irq_at_entry) {
  (void)frame;
  (void)irq_at_entry;
  gate_cs = read_cs();
}

static uint32_t peek(uint32_t vaddr) {
  return *(volatile uint32_t *)vaddr;
}

static void init_and_trivial_calls(void) {
  uint32_t reserve = lguest_data.reserve_mem;
  lgt_check(reserve != 0 && reserve % 4096 == 0, "INIT: reserve_mem non-zero, page-aligned");
  lgt_check(lguest_data.kernel_address < 0u - reserve, "INIT: kernel_address below 2^32 - reserve_mem");
  lgt_check(lguest_data.time_sec != 0 && lguest_data.time_nsec < 1000000000u, "INIT: wall clock in time");

  __asm__ volatile(
      "pushl %%ebp\n\t"
      "movl regs_in, %%ebx\n\tmovl regs_in+4, %%ecx\n\tmovl regs_in+8, %%edx\n\t"
      "movl regs_in+12, %%esi\n\tmovl regs_in+16, %%edi\n\tmovl regs_in+20, %%ebp\n\t"
      "movl $0, %%eax\n\tint $0x1f\n\tmovl $19, %%eax\n\tint $0x1f\n\t"
      "movl %%ebx, regs_out\n\tmovl %%ecx, regs_out+4\n\tmovl %%edx, regs_out+8\n\t"
      "movl %%esi, regs_out+12\n\tmovl %%edi, regs_out+16\n\tmovl %%ebp, regs_out+20\n\t"
      "popl %%ebp"
      :
      :
      : "eax", "ebx", "ecx", "edx", "esi", "edi", "memory");
  int same = 1;
  for (int i = 0; i < 6; i++) same &= regs_out[i] == regs_in[i];
  lgt_check(same, "FLUSH_ASYNC, SEND_INTERRUPTS: ebx ecx edx esi edi ebp preserved");

  /* 16 characters and a newline: the runtime sends the first 16 in one NOTIFY. */
  lg_print("NOTIFY: 16 chars\n");
  lgt_check(1, "NOTIFY of exactly 16 characters (the line above)");
}

static void idt_entries(void) {
  hcall(LHCALL_LOAD_IDT_ENTRY, 2, 0, 0x8500, 0);
  hcall(LHCALL_LOAD_IDT_ENTRY, 8, 0x00F80000u, 0x8500, 0);
  hcall(LHCALL_LOAD_IDT_ENTRY, 15, 0, 0x8100, 0);
  hcall(LHCALL_LOAD_IDT_ENTRY, 0x1F, 0, 0xEC00, 0);
  lgt_check(1, "LOAD_IDT_ENTRY: vectors 2, 8, 15, 0x1f ignored whatever their type");
  hcall(LHCALL_LOAD_IDT_ENTRY, 0x50, 0x12345678u, 0x00000500u, 0);
  lgt_check(1, "LOAD_IDT_ENTRY: a not-present entry may have any type");

  uint32_t stub = lgt_stub(0x41);
  lgt_set_gate(0x41, LGT_TRAP_GATE, 1, cs_handler);
  hcall(LHCALL_LOAD_IDT_ENTRY, 0x41, 0x00080000u | (stub & 0xFFFF), (stub & 0xFFFF0000u) | 0xAF00u, 0);
  __asm__ volatile("int $0x41" : : : "memory");
  lgt_check_u32("LOAD_IDT_ENTRY: gate selector 0x08 forced to 0x61", gate_cs, LGT_KERNEL_CS);
}

static void segments(void) {
  uint32_t lo, hi;
  lgt_data_descriptor(lg_gpa(&fs_word), 1, &lo, &hi);
  hcall(LHCALL_LOAD_GDT_ENTRY, 20, lo, hi, 0);
  lgt_check_u32("LOAD_GDT_ENTRY 20: %fs 0xa1 reads at its base", lgt_read_fs0(0xA1), 0xF5000001u);

  hcall(LHCALL_LOAD_GDT_ENTRY, 10, lo, hi, 0);
  LGT_TRY("mov %0, %%fs", : : "r"(0x51) : "memory");
  lgt_expect_trap("LOAD_GDT_ENTRY 10 (host-owned) stored but unused: %fs 0x51 faults", 13, 0x50, 0, LGT_KERNEL_CS);
  __asm__ volatile("mov %0, %%fs" : : "r"(0));

  lgt_data_descriptor(lg_gpa(&fs_word), 3, &tls[0], &tls[1]);
  lgt_data_descriptor(lg_gpa(page_a), 3, &tls[2], &tls[3]);
  lgt_data_descriptor(lg_gpa(page_b), 3, &tls[4], &tls[5]);
  page_a[0] = 0xAAAA0000u;
  page_b[0] = 0xBBBB0000u;
  hcall(LHCALL_LOAD_TLS, lg_gpa(tls), 0, 0, 0);
  lgt_check(lgt_read_gs0(0x31) == 0xF5000001u && lgt_read_gs0(0x39) == 0xAAAA0000u && lgt_read_gs0(0x41) == 0xBBBB0000u,
            "LOAD_TLS: entries 6, 7, 8 through %gs");
}

static void paging(void) {
  lgt_paging_on(LGT_PTE_P | LGT_PTE_RW);
  lgt_check_u32("NEW_PGTABLE: identity map in use", peek(lg_gpa(&fs_word)), 0xF5000001u);

  /* §7.3: the Host keeps hardware A/D semantics in the guest's PTE. */
  /* The PTE is read through a volatile pointer: the CPU, not the program, changes it. */
  const volatile uint32_t *pte = &lgt_pt_low[lg_gpa(ad_page) >> 12];
  (void)ad_page[3];
  uint32_t after_read = *pte & (LGT_PTE_A | LGT_PTE_D);
  ad_page[5] = 1;
  uint32_t after_write = *pte & (LGT_PTE_A | LGT_PTE_D);
  lgt_check_u32("a read sets A (not D) in the guest PTE", after_read, LGT_PTE_A);
  lgt_check_u32("a write then sets D", after_write, LGT_PTE_A | LGT_PTE_D);

  uint32_t *table = alias_table;
  table[0] = lg_gpa(page_a) | LGT_PTE_P | LGT_PTE_RW;
  lgt_pgdir[ALIAS >> 22] = lg_gpa(table) | LGT_PTE_P | LGT_PTE_RW | LGT_PTE_US;
  hcall(LHCALL_SET_PGD, lg_gpa(lgt_pgdir), ALIAS >> 22, 0, 0);
  lgt_check_u32("SET_PGD: the new directory entry maps the alias", peek(ALIAS), 0xAAAA0000u);

  table[0] = lg_gpa(page_b) | LGT_PTE_P | LGT_PTE_RW;
  hcall(LHCALL_SET_PTE, lg_gpa(lgt_pgdir), ALIAS, table[0], 0);
  lgt_check_u32("SET_PTE: the alias now maps page b", peek(ALIAS), 0xBBBB0000u);

  table[0] = lg_gpa(page_a) | LGT_PTE_P | LGT_PTE_RW;
  hcall(LHCALL_FLUSH_TLB, 0, 0, 0, 0);
  lgt_check_u32("FLUSH_TLB(0): a changed user-part PTE is seen", peek(ALIAS), 0xAAAA0000u);

  kernel_alias_table[0] = lg_gpa(page_a) | LGT_PTE_P | LGT_PTE_RW;
  lgt_pgdir[KERNEL_ALIAS >> 22] = lg_gpa(kernel_alias_table) | LGT_PTE_P | LGT_PTE_RW;
  hcall(LHCALL_SET_PGD, lg_gpa(lgt_pgdir), KERNEL_ALIAS >> 22, 0, 0);
  lgt_check_u32("kernel-part alias above kernel_address", peek(KERNEL_ALIAS), 0xAAAA0000u);
  kernel_alias_table[0] = lg_gpa(page_b) | LGT_PTE_P | LGT_PTE_RW;
  hcall(LHCALL_FLUSH_TLB, 1, 0, 0, 0);
  lgt_check_u32("FLUSH_TLB(1): a changed kernel-part PTE is seen", peek(KERNEL_ALIAS), 0xBBBB0000u);

  /* Five directories, each with its own alias table mapping the alias onto its own directory page,
     where word 1000 (a not-present PDE) is its marker. */
  for (int d = 0; d < DIRECTORIES; d++) {
    directories[d][0] = lgt_pgdir[0];
    directories[d][ALIAS >> 22] = lg_gpa(alias_tables[d]) | LGT_PTE_P | LGT_PTE_RW | LGT_PTE_US;
    directories[d][1000] = (uint32_t)(d + 1) << 4;
    alias_tables[d][0] = lg_gpa(directories[d]) | LGT_PTE_P | LGT_PTE_RW;
  }
  int right = 1;
  for (int round = 0; round < 3; round++) {
    for (int d = 0; d < DIRECTORIES; d++) {
      hcall(LHCALL_NEW_PGTABLE, lg_gpa(directories[d]), 0, 0, 0);
      right &= peek(ALIAS + 4 * 1000) == (uint32_t)(d + 1) << 4;
    }
  }
  lgt_check(right, "NEW_PGTABLE among 5 directories, 3 rounds: each sees its own alias");
  hcall(LHCALL_NEW_PGTABLE, lg_gpa(lgt_pgdir), 0, 0, 0);
  lgt_check_u32("NEW_PGTABLE back to the first directory", peek(ALIAS), 0xAAAA0000u);
}

static void ts_stack_clock(void) {
  hcall(LHCALL_TS, 8, 0, 0, 0);
  LGT_TRY("fnop", : : : "memory");
  lgt_expect_trap("TS(8): fnop raises #NM", 7, 0, 0, LGT_KERNEL_CS);
  hcall(LHCALL_TS, 0, 0, 0, 0);
  LGT_TRY("fnop", : : : "memory");
  lgt_expect_no_trap("TS(0): fnop runs");

  hcall(LHCALL_SET_STACK, LGT_KERNEL_DS, lg_gpa(lgt_kernel_stack + sizeof lgt_kernel_stack), 2, 0);
  lgt_check(1, "SET_STACK(0x69, esp, 2) accepted");

  lgt_set_gate(LGT_IRQ_VECTOR, LGT_INTERRUPT_GATE, 0, lgt_irq_handler);
  lguest_data.irq_enabled = 0;
  lguest_data.blocked_interrupts = ~1u;
  hcall(LHCALL_SET_CLOCKEVENT, 1000000, 0, 0, 0);
  hcall(LHCALL_HALT, 0, 0, 0, 0);
  lgt_check_u32("SET_CLOCKEVENT(1 ms) + HALT: woken by IRQ 0", lgt_irq_count, 1);
  lgt_check_u32("HALT: irq_enabled 0x200 after the wake-up", lguest_data.irq_enabled, 0x200);
  lguest_data.blocked_interrupts = 0xFFFFFFFFu;
}

int main(void) {
  lgt_probe_exceptions(LGT_INTERRUPT_GATE);
  lg_print("hcalls: every hypercall\n");
  init_and_trivial_calls();
  idt_entries();
  segments();
  paging();
  ts_stack_clock();
  return lgt_summary("hcalls");
}

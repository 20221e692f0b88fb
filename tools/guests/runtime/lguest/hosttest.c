/*
 * The C half of the Host-test kit (hosttest.h): IDT entries through LOAD_IDT_ENTRY (§6.6), the
 * dispatcher that hosttest_entry.S calls for every trap with the §6.3 frame, the probe, interrupt
 * and system-call handlers, the identity page table (§7), user-mode set-up (GDT 14/15, SET_STACK),
 * segment helpers (§5.3) and the result lines the programs print. Used by the programs in
 * programs/lguest/ that prove a Host; hello and selftest do not call it.
 */
#include <format.h>

#include "hosttest.h"

/* The stubs in hosttest_entry.S, 16 bytes apart. */
extern const char lgt_stubs[];
__attribute__((noreturn)) void lgt_user_return(uint32_t value);
void lgt_dispatch(struct lgt_frame *frame);

static lgt_handler *handlers[256];
static uint8_t gate_type[256];

volatile struct lgt_trap lgt_last, lgt_last_irq;
volatile uint32_t lgt_probe_at, lgt_probe_esp, lgt_resume;
volatile uint32_t lgt_irq_count, lgt_syscall_count;
uint32_t lgt_kernel_esp;

uint32_t lgt_pgdir[1024] __attribute__((aligned(4096)));
uint32_t lgt_pt_low[1024] __attribute__((aligned(4096)));
uint8_t lgt_user_stack[8192] __attribute__((aligned(4096)));
/* The ring-1 stack a trap from CPL 3 switches to (SET_STACK, §3.2): two pages, as Linux's. */
uint8_t lgt_kernel_stack[8192] __attribute__((aligned(4096)));

static unsigned passed, failed;

uint32_t lgt_stub(unsigned vector) {
  return lg_gpa(lgt_stubs) + 16 * (vector & 0xFF);
}

void lgt_set_gate(unsigned vector, unsigned type, unsigned dpl, lgt_handler *handler) {
  uint32_t stub = lgt_stub(vector);
  handlers[vector & 0xFF] = handler;
  gate_type[vector & 0xFF] = (uint8_t)type;
  uint32_t lo = ((uint32_t)LGT_KERNEL_CS << 16) | (stub & 0xFFFF);
  uint32_t hi = (stub & 0xFFFF0000u) | 0x8000u | ((dpl & 3) << 13) | ((type & 0xF) << 8);
  hcall(LHCALL_LOAD_IDT_ENTRY, vector, lo, hi, 0);
}

void lgt_clear_gate(unsigned vector) {
  handlers[vector & 0xFF] = 0;
  gate_type[vector & 0xFF] = 0;
  hcall(LHCALL_LOAD_IDT_ENTRY, vector, 0, 0, 0);
}

/* Called by lgt_trap_common for every trap. The value left in frame->vector is what the return path
   stores into irq_enabled inside the iret window: after an interrupt gate (which cleared it, §6.3
   step 5) the virtual IF saved in the frame, as Linux's iret does; after a trap gate the current
   value, which the gate did not touch. */
void lgt_dispatch(struct lgt_frame *frame) {
  uint32_t irq_at_entry = lguest_data.irq_enabled;
  unsigned vector = frame->vector & 0xFF;
  lgt_handler *handler = handlers[vector];
  if (!handler) {
    lg_printf("FAIL unexpected trap %u (error %x) at %x:%08x\n", vector, frame->error, frame->cs, frame->eip);
    lg_exit(99);
  }
  handler(frame, irq_at_entry);
  frame->vector = gate_type[vector] == LGT_INTERRUPT_GATE ? (frame->eflags & LGUEST_IRQ_ENABLED)
                                                          : lguest_data.irq_enabled;
}

static void record(volatile struct lgt_trap *t, const struct lgt_frame *frame, uint32_t irq_at_entry) {
  int from_user = (frame->cs & 3) == 3;
  t->vector = frame->vector;
  t->error = frame->error;
  t->eip = frame->eip;
  t->cs = frame->cs;
  t->eflags = frame->eflags;
  t->irq_at_entry = irq_at_entry;
  t->cr2 = lguest_data.cr2;
  t->user_esp = from_user ? frame->user_esp : 0;
  t->user_ss = from_user ? frame->user_ss : 0;
  t->frame_at = lg_gpa(&frame->eip);
  t->count++;
}

void lgt_probe_handler(struct lgt_frame *frame, uint32_t irq_at_entry) {
  record(&lgt_last, frame, irq_at_entry);
  if (!lgt_resume) {
    lg_printf("FAIL trap %u (error %x) at %x:%08x outside a probe\n", frame->vector, frame->error, frame->cs,
              frame->eip);
    lg_exit(98);
  }
  frame->eip = lgt_resume;
  lgt_resume = 0;
}

void lgt_probe_exceptions(unsigned type) {
  for (unsigned v = 0; v < 20; v++) {
    if (v == 2 || v == 8 || v == 15) continue;
    /* int3 and into are software interrupts: their gates need DPL 3 to be usable from CPL 1 and 3
       (§6.5 gate-DPL check), as Linux sets them. */
    lgt_set_gate(v, type, v == 3 || v == 4 ? 3 : 0, lgt_probe_handler);
  }
  lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
}

void lgt_irq_handler(struct lgt_frame *frame, uint32_t irq_at_entry) {
  record(&lgt_last_irq, frame, irq_at_entry);
  lgt_irq_count++;
}

void lgt_syscall_handler(struct lgt_frame *frame, uint32_t irq_at_entry) {
  lgt_syscall_count++;
  switch (frame->eax) {
    case LGT_SYS_EXIT:
      lgt_user_return(frame->ebx);
    case LGT_SYS_ADD1:
      frame->eax = frame->ebx + 1;
      break;
    case LGT_SYS_IRQ:
      frame->eax = irq_at_entry;
      break;
    default:
      frame->eax = 0xFFFFFFFFu;
  }
}

void lgt_expect_trap(const char *name, uint32_t vector, uint32_t error, uint32_t eip_offset, uint32_t cs) {
  uint32_t eip = lgt_probe_at + eip_offset;
  if (lgt_last.count == 1 && lgt_last.vector == vector && lgt_last.error == error && lgt_last.eip == eip &&
      lgt_last.cs == cs) {
    passed++;
    lg_printf("ok %s\n", name);
  } else {
    failed++;
    lg_printf("FAIL %s: %u trap(s), last vector %u error %x at %x:%08x; want vector %u error %x at %x:%08x\n", name,
              lgt_last.count, lgt_last.vector, lgt_last.error, lgt_last.cs, lgt_last.eip, vector, error, cs, eip);
  }
  lgt_last.count = 0;
}

void lgt_expect_no_trap(const char *name) {
  if (lgt_last.count == 0) {
    passed++;
    lg_printf("ok %s\n", name);
  } else {
    failed++;
    lg_printf("FAIL %s: trap %u error %x at %x:%08x\n", name, lgt_last.vector, lgt_last.error, lgt_last.cs,
              lgt_last.eip);
  }
  lgt_last.count = 0;
}

void lgt_paging_on(uint32_t pte_flags) {
  for (uint32_t i = 0; i < 1024; i++) {
    lgt_pt_low[i] = i == 0 ? 0 : (i << 12) | pte_flags;
    lgt_pgdir[i] = 0;
  }
  lgt_pgdir[0] = lg_gpa(lgt_pt_low) | LGT_PTE_P | LGT_PTE_RW | LGT_PTE_US;
  hcall(LHCALL_NEW_PGTABLE, lg_gpa(lgt_pgdir), 0, 0, 0);
}

void lgt_user_init(unsigned syscall_type) {
  hcall(LHCALL_LOAD_GDT_ENTRY, 14, 0x0000FFFFu, 0x00CFFB00u, 0); /* flat code, DPL 3 */
  hcall(LHCALL_LOAD_GDT_ENTRY, 15, 0x0000FFFFu, 0x00CFF300u, 0); /* flat data, DPL 3 */
  hcall(LHCALL_SET_STACK, LGT_KERNEL_DS, lg_gpa(lgt_kernel_stack + sizeof lgt_kernel_stack), 2, 0);
  lgt_set_gate(LGT_SYSCALL_VECTOR, syscall_type, 3, lgt_syscall_handler);
}

void lgt_data_descriptor(uint32_t base, unsigned dpl, uint32_t *lo, uint32_t *hi) {
  *lo = (base << 16) | 0xFFFFu;
  *hi = (base & 0xFF000000u) | 0x00CF0000u | 0x9200u | ((dpl & 3) << 13) | ((base >> 16) & 0xFF);
}

uint32_t lgt_read_fs0(uint32_t selector) {
  uint32_t value;
  __asm__ volatile("mov %1, %%fs\n\tmovl %%fs:0, %0\n\tmov %2, %%fs"
                   : "=&r"(value)
                   : "r"(selector), "r"(0)
                   : "memory");
  return value;
}

uint32_t lgt_read_gs0(uint32_t selector) {
  uint32_t value;
  __asm__ volatile("mov %1, %%gs\n\tmovl %%gs:0, %0\n\tmov %2, %%gs"
                   : "=&r"(value)
                   : "r"(selector), "r"(0)
                   : "memory");
  return value;
}

void lgt_check(int ok, const char *name) {
  if (ok) {
    passed++;
    lg_printf("ok %s\n", name);
  } else {
    failed++;
    lg_printf("FAIL %s\n", name);
  }
}

void lgt_check_u32(const char *name, uint32_t got, uint32_t want) {
  if (got == want) {
    passed++;
    lg_printf("ok %s\n", name);
  } else {
    failed++;
    lg_printf("FAIL %s: got %08x, want %08x\n", name, got, want);
  }
}

int lgt_summary(const char *program) {
  lg_printf("%s: %u passed, %u failed\n", program, passed, failed);
  return failed != 0;
}

/*
 * Host test: the guest's virtual CR0.TS and lazy FPU switching (spec §6.10, §15.1). With TS set
 * (TS(8)) the first x87 instruction — fwait included — raises #NM in the guest; the guest's handler
 * sends TS(0) and returns, and the instruction then runs. With TS clear nothing traps. The same from
 * CPL 3, where the #NM frame carries cs 0x73. A two-"task" round shows the Linux pattern: TS(8) at a
 * switch, then on #NM the handler clears TS, saves the old owner's x87 state with fnsave and restores
 * the new one's with frstor; each task's register stack must survive. Finally an unmasked x87
 * exception raises #MF (vector 16) at the next waiting instruction.
 */
#include <hosttest.h>

/* fnsave images (108 bytes) of the two tasks, and which one owns the FPU. */
static uint8_t fpu_state[2][108] __attribute__((aligned(16)));
static int fpu_owner, current_task;
static volatile uint32_t nm_count, nm_cs;

/* #NM: the lazy-switching handler. TS(0) first, or the handler's own fnsave would trap again. */
static void nm_handler(struct lgt_frame *frame, uint32_t irq_at_entry) {
  (void)irq_at_entry;
  nm_count++;
  nm_cs = frame->cs;
  hcall(LHCALL_TS, 0, 0, 0, 0);
  if (fpu_owner != current_task) {
    __asm__ volatile("fnsave %0" : "=m"(fpu_state[fpu_owner]));
    __asm__ volatile("frstor %0" : : "m"(fpu_state[current_task]));
    fpu_owner = current_task;
  }
}

/* 1 + 1 through the x87 stack, stored as an integer. */
static uint32_t fpu_two(void) {
  int32_t r;
  __asm__ volatile("fld1\n\tfld1\n\tfaddp\n\tfistpl %0" : "=m"(r) : : "memory");
  return (uint32_t)r;
}

/* Pushes n onto the x87 stack (the task's private state). */
static void fpu_push(int32_t n) {
  __asm__ volatile("fildl %0" : : "m"(n) : "memory");
}

/* Pops the top of the x87 stack as an integer. */
static int32_t fpu_pop(void) {
  int32_t r;
  __asm__ volatile("fistpl %0" : "=m"(r) : : "memory");
  return r;
}

static void switch_to(int task) {
  current_task = task;
  if (task != fpu_owner) hcall(LHCALL_TS, 8, 0, 0, 0);
}

static uint32_t user_fpu(void) {
  return fpu_two();
}

static void basic(void) {
  hcall(LHCALL_TS, 8, 0, 0, 0);
  uint32_t v = fpu_two();
  lgt_check_u32("TS set: one #NM", nm_count, 1);
  lgt_check_u32("after TS(0) in the handler the instruction reran: 1 + 1", v, 2);
  lgt_check_u32("#NM frame cs 0x61", nm_cs, LGT_KERNEL_CS);
  v = fpu_two();
  lgt_check_u32("TS clear: no #NM", nm_count, 1);

  hcall(LHCALL_TS, 8, 0, 0, 0);
  __asm__ volatile("fwait" : : : "memory");
  lgt_check_u32("fwait with TS set: #NM", nm_count, 2);

  lgt_paging_on(LGT_PTE_P | LGT_PTE_RW | LGT_PTE_US);
  lgt_user_init(LGT_TRAP_GATE);
  hcall(LHCALL_TS, 8, 0, 0, 0);
  lgt_check_u32("CPL 3: 1 + 1 after #NM", lgt_user_call(user_fpu), 2);
  lgt_check_u32("CPL 3: one #NM", nm_count, 3);
  lgt_check_u32("CPL 3: #NM frame cs 0x73", nm_cs, LGT_USER_CS);
}

static void lazy_switching(void) {
  __asm__ volatile("fninit");
  fpu_owner = current_task = 0;
  fpu_push(1111);
  fpu_push(2222);
  uint32_t before = nm_count;

  switch_to(1);
  __asm__ volatile("fninit");
  fpu_push(7777);
  lgt_check_u32("task 1's first x87 instruction: #NM", nm_count, before + 1);

  switch_to(0);
  int32_t a2 = fpu_pop(), a1 = fpu_pop();
  lgt_check_u32("back in task 0: #NM again", nm_count, before + 2);
  lgt_check(a2 == 2222 && a1 == 1111, "task 0's x87 stack survived task 1");

  switch_to(1);
  lgt_check_u32("task 1's x87 stack survived task 0", (uint32_t)fpu_pop(), 7777);
  lgt_check_u32("and one more #NM", nm_count, before + 3);
  switch_to(1);
  fpu_push(1);
  fpu_pop();
  lgt_check_u32("no switch, no #NM", nm_count, before + 3);
}

static void math_fault(void) {
  /* Control word 0x37e: every exception masked except invalid operation (IM, bit 0, clear); 0/0 is
     invalid whichever way round the assembler orders fdivp's operands. */
  uint16_t cw = 0x037E;
  __asm__ volatile("fninit\n\tfldcw %0\n\tfldz\n\tfldz\n\tfdivp" : : "m"(cw) : "memory");
  LGT_TRY("fwait", : : : "memory");
  lgt_expect_trap("unmasked x87 invalid operation (0/0): #MF at the next fwait", 16, 0, 0, LGT_KERNEL_CS);
  __asm__ volatile("fnclex\n\tfninit" : : : "memory");
}

int main(void) {
  lgt_probe_exceptions(LGT_INTERRUPT_GATE);
  lgt_set_gate(7, LGT_INTERRUPT_GATE, 0, nm_handler);
  lg_print("fpu: TS and #NM\n");
  __asm__ volatile("fninit");
  basic();
  lazy_switching();
  math_fault();
  return lgt_summary("fpu");
}

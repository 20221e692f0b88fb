/*
 * Host test: every trap class a guest kernel can take at CPL 1, in linear mode, through gates it
 * installed with LOAD_IDT_ENTRY (spec §6.3–§6.6, §6.11). Each probe runs one instruction that must
 * trap; the probe handler records the §6.3 frame (vector, error code, eip, cs, eflags, where the
 * frame lies) and resumes after the instruction. It covers faults (eip at the instruction) and traps
 * (eip after it), the error-code vectors 11, 12, 13 and 14, #GP that the Host must reflect rather
 * than emulate (§6.9, §13: hlt, sti, clts, lidt, non-zero error codes), the gate-DPL check for int n
 * (§6.5), interrupt gates (irq_enabled cleared by the Host) against trap gates (left alone), the
 * frame's IF bit following bit 9 of irq_enabled only, a #PF at the top of the address space with
 * cr2 in lguest_data (§6.11, §7.3 step 1) and #NM while TS is set (§6.10). Every line is "ok <what>"
 * on a correct Host; the program then powers off.
 */
#include <hosttest.h>

static uint32_t scratch[2];
static const int32_t bounds[2] = {0, 10};

static void check_if_and_irq(const char *name, uint32_t want_frame_if, uint32_t want_irq_at_entry) {
  lgt_check((lgt_last.eflags & 0x200) == want_frame_if && lgt_last.irq_at_entry == want_irq_at_entry, name);
}

static void faults(void) {
  uint32_t a = 1, d = 0;
  LGT_TRY("divl %%ecx", : "+a"(a), "+d"(d) : "c"(0) : "memory");
  lgt_expect_trap("#DE: divide by zero, eip at the div", 0, 0, 0, LGT_KERNEL_CS);

  LGT_TRY("bound %0, %1", : : "r"(20), "m"(bounds) : "memory");
  lgt_expect_trap("#BR: bound out of range, eip at the bound", 5, 0, 0, LGT_KERNEL_CS);

  LGT_TRY_AFTER("stc", "ud2", : : : "cc", "memory");
  uint32_t frame_at = lgt_last.frame_at, eflags = lgt_last.eflags;
  lgt_expect_trap("#UD: ud2, eip at the ud2", 6, 0, 0, LGT_KERNEL_CS);
  lgt_check_u32("frame on the current stack at CPL 1 (eip word 12 bytes below esp)", frame_at,
                lgt_probe_esp - 12);
  lgt_check_u32("frame eflags keeps the guest's CF", eflags & 1, 1);
}

static void traps(void) {
  LGT_TRY("int3", : : : "memory");
  lgt_expect_trap("#BP: int3, eip after it", 3, 0, 1, LGT_KERNEL_CS);

  LGT_TRY_AFTER("movl $0x7fffffff, %%eax\n\taddl $1, %%eax", "into", : : : "eax", "cc", "memory");
  lgt_expect_trap("#OF: into with OF set, eip after it", 4, 0, 1, LGT_KERNEL_CS);

  LGT_TRY_AFTER("xorl %%eax, %%eax", "into", : : : "eax", "cc", "memory");
  lgt_expect_no_trap("into with OF clear does not trap");
}

static void general_protection(void) {
  LGT_TRY("hlt", : : : "memory");
  lgt_expect_trap("#GP(0): hlt at CPL 1 is reflected, not emulated", 13, 0, 0, LGT_KERNEL_CS);

  LGT_TRY("sti", : : : "memory");
  lgt_expect_trap("#GP(0): sti at CPL 1 is reflected", 13, 0, 0, LGT_KERNEL_CS);

  LGT_TRY("clts", : : : "memory");
  lgt_expect_trap("#GP(0): clts at CPL 1 is reflected", 13, 0, 0, LGT_KERNEL_CS);

  LGT_TRY("lidt %0", : : "m"(scratch) : "memory");
  lgt_expect_trap("#GP(0): lidt at CPL 1 is reflected", 13, 0, 0, LGT_KERNEL_CS);

  LGT_TRY("mov %0, %%ds", : : "r"(0x100) : "memory");
  lgt_expect_trap("#GP(0x100): selector beyond the 32-entry GDT", 13, 0x100, 0, LGT_KERNEL_CS);

  LGT_TRY("mov %0, %%ds", : : "r"(0x50) : "memory");
  lgt_expect_trap("#GP(0x50): host-owned entry 10 is not the guest's", 13, 0x50, 0, LGT_KERNEL_CS);

  LGT_TRY("mov %0, %%ds", : : "r"(0x0C) : "memory");
  lgt_expect_trap("#GP(0xc): no LDT", 13, 0x0C, 0, LGT_KERNEL_CS);

  /* GDT 20: a data segment, DPL 1, marked not present. */
  hcall(LHCALL_LOAD_GDT_ENTRY, 20, 0x0000FFFFu, 0x00CF3200u, 0);
  LGT_TRY("mov %0, %%ds", : : "r"(0xA1) : "memory");
  lgt_expect_trap("#NP(0xa0): not-present data segment into ds", 11, 0xA0, 0, LGT_KERNEL_CS);
  LGT_TRY("mov %0, %%ss", : : "r"(0xA1) : "memory");
  lgt_expect_trap("#SS(0xa0): not-present data segment into ss", 12, 0xA0, 0, LGT_KERNEL_CS);
}

static void gates(void) {
  lgt_set_gate(0x40, LGT_INTERRUPT_GATE, 0, lgt_probe_handler);
  lgt_set_gate(0x41, LGT_TRAP_GATE, 1, lgt_probe_handler);
  lgt_set_gate(0x42, LGT_INTERRUPT_GATE, 1, lgt_probe_handler);

  LGT_TRY("int $0x40", : : : "memory");
  lgt_expect_trap("int $0x40 through a DPL 0 gate: #GP(0x40*8+2)", 13, 0x202, 0, LGT_KERNEL_CS);

  LGT_TRY("int $0x41", : : : "memory");
  lgt_expect_trap("int $0x41 through a DPL 1 trap gate", 0x41, 0, 2, LGT_KERNEL_CS);
  check_if_and_irq("trap gate: irq_enabled still 0x200 in the handler, frame IF 1", 0x200, 0x200);

  LGT_TRY("int $0x42", : : : "memory");
  lgt_expect_trap("int $0x42 through a DPL 1 interrupt gate", 0x42, 0, 2, LGT_KERNEL_CS);
  check_if_and_irq("interrupt gate: irq_enabled 0 in the handler, frame IF 1", 0x200, 0);
  lgt_check_u32("irq_enabled back to 0x200 after the handler's return", lguest_data.irq_enabled, 0x200);

  /* The same exception through a trap gate and through an interrupt gate. */
  lgt_set_gate(6, LGT_TRAP_GATE, 0, lgt_probe_handler);
  LGT_TRY("ud2", : : : "memory");
  lgt_expect_trap("#UD through a trap gate", 6, 0, 0, LGT_KERNEL_CS);
  check_if_and_irq("#UD trap gate: irq_enabled untouched", 0x200, 0x200);
  lgt_set_gate(6, LGT_INTERRUPT_GATE, 0, lgt_probe_handler);
  LGT_TRY("ud2", : : : "memory");
  lgt_expect_trap("#UD through an interrupt gate", 6, 0, 0, LGT_KERNEL_CS);
  check_if_and_irq("#UD interrupt gate: irq_enabled cleared", 0x200, 0);

  /* The frame's IF is the virtual IF: bit 9 of irq_enabled, nothing else (§6.3 step 2). #GP is
     never delivered directly (§6.5), so the Host builds this frame. */
  lguest_data.irq_enabled = 0;
  LGT_TRY("hlt", : : : "memory");
  lgt_expect_trap("#GP with irq_enabled 0", 13, 0, 0, LGT_KERNEL_CS);
  check_if_and_irq("irq_enabled 0: frame IF 0", 0, 0);
  lguest_data.irq_enabled = 0x046;
  LGT_TRY("hlt", : : : "memory");
  lgt_expect_trap("#GP with irq_enabled 0x046", 13, 0, 0, LGT_KERNEL_CS);
  check_if_and_irq("irq_enabled 0x046 (bit 9 clear): frame IF 0", 0, 0);
  lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
}

static void page_fault(void) {
  /* The top page lies in the Switcher region (above 2^32 - reserve_mem), which the Host never
     demand-pages: even in linear mode the fault is reflected (§5.4, §7.3 step 1). */
  lgt_check(lguest_data.reserve_mem >= 4096 && lguest_data.reserve_mem % 4096 == 0,
            "reserve_mem is at least a page, page-aligned");
  uint32_t v;
  LGT_TRY("movl 0xfffff004, %0", : "=r"(v) : : "memory");
  lgt_check_u32("#PF read: cr2 in lguest_data", lgt_last.cr2, 0xFFFFF004);
  lgt_expect_trap("#PF read of the top page: error 0, eip at the load", 14, 0, 0, LGT_KERNEL_CS);
  LGT_TRY("movl %0, 0xfffff008", : : "r"(v) : "memory");
  lgt_check_u32("#PF write: cr2 in lguest_data", lgt_last.cr2, 0xFFFFF008);
  lgt_expect_trap("#PF write of the top page: error 2", 14, 2, 0, LGT_KERNEL_CS);
}

static void device_not_available(void) {
  hcall(LHCALL_TS, 8, 0, 0, 0);
  LGT_TRY("fnop", : : : "memory");
  lgt_expect_trap("#NM: fnop with TS set", 7, 0, 0, LGT_KERNEL_CS);
  hcall(LHCALL_TS, 0, 0, 0, 0);
  LGT_TRY("fnop", : : : "memory");
  lgt_expect_no_trap("fnop with TS clear runs");
}

int main(void) {
  lgt_probe_exceptions(LGT_INTERRUPT_GATE);
  lg_print("traps: CPL 1, linear mode\n");
  faults();
  traps();
  general_protection();
  gates();
  page_fault();
  device_not_available();
  return lgt_summary("traps");
}

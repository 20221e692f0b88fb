/*
 * Host test: the clock interrupt (SET_CLOCKEVENT → IRQ 0 at vector 0x20, spec §6.1, §6.7) under
 * every masking condition of §6.2: irq_enabled 0 (irq_pending 0x200 written, nothing delivered),
 * the line's bit in blocked_interrupts, the iret window [noirq_start, noirq_end), a not-present IDT
 * entry, HALT (which ignores irq_enabled and sets it to 0x200 on wake-up, §6.8), and a guest that
 * turns interrupts on with a plain store and then spins without any hypercall — the interrupt must
 * still arrive (§13). It also checks the delivered frame (§6.3), irq_pending back to 0 after a
 * delivery, a trap gate on vector 0x20, and that the clock measures: HALT after SET_CLOCKEVENT(20 ms)
 * wakes with lguest_data.time at least 20 ms later, and a later SET_CLOCKEVENT replaces an earlier
 * one, and an interrupt that arrives while the guest runs at CPL 3 (frame on the SET_STACK stack).
 * The program makes its own LGUEST_INIT (lg_manual_init) so that noirq_start/noirq_end hold
 * the kit's iret window before the Host reads them (§3.5 step 4).
 */
#include <hosttest.h>

const char lg_manual_init = 1;

/* Bounds that only a broken Host reaches: hypercalls while waiting for a 1 ms timer, spin rounds. */
#define WAIT_HYPERCALLS 2000000u
#define SPIN_ROUNDS 400000000u
#define NOIRQ_ROUNDS 1000000u

/* SEND_INTERRUPTS until the Host reports the interrupt pending (irq_pending, written only while
   irq_enabled is 0); returns whether it did. Each call is an exit, so each is a delivery attempt. */
static int wait_pending(void) {
  for (uint32_t i = 0; i < WAIT_HYPERCALLS; i++) {
    hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0, 0);
    if (lguest_data.irq_pending == LGUEST_IRQ_ENABLED) return 1;
  }
  return 0;
}

/* Spins without a hypercall until lgt_irq_count passes `before`; returns whether it did. */
static int spin_for_irq(uint32_t before) {
  lgt_barrier();
  for (uint32_t i = 0; i < SPIN_ROUNDS; i++) {
    if (lgt_irq_count != before) return 1;
  }
  return 0;
}

static uint64_t now_ns(void) {
  return (uint64_t)lguest_data.time_sec * 1000000000u + lguest_data.time_nsec;
}

static void arm(uint32_t ns) {
  hcall(LHCALL_SET_CLOCKEVENT, ns, 0, 0, 0);
}

/* HALT, returning the address the interrupt frame must name: the instruction after int $0x1f. */
static uint32_t halt(void) {
  uint32_t after, call = LHCALL_HALT;
  __asm__ volatile("int $0x1f\n1:\tmovl $1b, %1" : "+a"(call), "=r"(after) : : "memory");
  return after;
}

static void check_frame(const char *name, uint32_t want_irq_at_entry) {
  int ok = lgt_last_irq.vector == LGT_IRQ_VECTOR && lgt_last_irq.error == 0 && lgt_last_irq.cs == LGT_KERNEL_CS &&
           (lgt_last_irq.eflags & 0x200) && lgt_last_irq.irq_at_entry == want_irq_at_entry;
  lgt_check(ok, name);
}

static void masked_by_irq_enabled_and_blocked(void) {
  lguest_data.irq_enabled = 0;
  lguest_data.blocked_interrupts = ~1u;
  arm(1000000);
  lgt_check(wait_pending(), "irq_enabled 0: Host writes irq_pending 0x200");
  lgt_check_u32("irq_enabled 0: nothing delivered", lgt_irq_count, 0);

  lguest_data.blocked_interrupts = 0xFFFFFFFFu;
  lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
  for (int i = 0; i < 1000; i++) hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0, 0);
  lgt_check_u32("blocked_interrupts bit 0: pending IRQ 0 not delivered", lgt_irq_count, 0);

  lguest_data.irq_enabled = 0;
  lguest_data.blocked_interrupts = ~1u;
  uint32_t seen = lgt_noirq_spin(NOIRQ_ROUNDS);
  lgt_check_u32("noirq window: nothing delivered while eip is inside it", seen, 0);
  lgt_check(spin_for_irq(0), "noirq window: delivered after it, without a hypercall");
  lgt_check(lgt_last_irq.eip < lg_gpa(lgt_noirq_start) || lgt_last_irq.eip >= lg_gpa(lgt_noirq_end),
            "noirq window: frame eip outside the window");
  check_frame("frame: vector 0x20, no error code, cs 0x61, IF 1; irq_enabled 0 in the handler", 0);
  lgt_check_u32("irq_enabled restored to 0x200 by the handler's iret", lguest_data.irq_enabled, 0x200);
  lgt_check_u32("irq_pending 0 after the delivery (nothing else deliverable)", lguest_data.irq_pending, 0);
}

static void plain_store_and_spin(void) {
  lguest_data.irq_enabled = 0;
  arm(1000000);
  lgt_check(wait_pending(), "pending again with irq_enabled 0");
  uint32_t before = lgt_irq_count;
  lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
  lgt_check(spin_for_irq(before), "enabled by a plain store, spinning: delivered");

  before = lgt_irq_count;
  arm(1000000);
  lgt_check(spin_for_irq(before), "timer expiring during a spin with interrupts on: delivered");
  check_frame("spin delivery frame", 0);
}

static void not_present_entry(void) {
  lguest_data.irq_enabled = 0;
  arm(1000000);
  lgt_check(wait_pending(), "pending with irq_enabled 0 (for the not-present test)");
  lgt_clear_gate(LGT_IRQ_VECTOR);
  uint32_t before = lgt_irq_count;
  lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
  for (int i = 0; i < 1000; i++) hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0, 0);
  lgt_check_u32("IDT entry 0x20 not present: nothing delivered", lgt_irq_count, before);
  lgt_set_gate(LGT_IRQ_VECTOR, LGT_INTERRUPT_GATE, 0, lgt_irq_handler);
  hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0, 0);
  lgt_check_u32("entry present again: the IRQ stayed pending and arrives", lgt_irq_count, before + 1);
}

static void halt_and_clock(void) {
  lguest_data.irq_enabled = 0;
  uint32_t before = lgt_irq_count;
  arm(1000000);
  uint32_t after_call = halt();
  lgt_check_u32("HALT with irq_enabled 0: woken by the clock, handler ran", lgt_irq_count, before + 1);
  lgt_check_u32("HALT: frame eip is after the hypercall", lgt_last_irq.eip, after_call);
  check_frame("HALT: frame IF 1 (irq_enabled set to 0x200 before the frame)", 0);
  lgt_check_u32("HALT: irq_enabled 0x200 afterwards", lguest_data.irq_enabled, 0x200);

  lguest_data.irq_enabled = 0;
  uint64_t start = now_ns();
  arm(20000000);
  halt();
  uint64_t elapsed = now_ns() - start;
  lgt_check(elapsed >= 20000000u, "SET_CLOCKEVENT(20 ms): lguest_data.time advanced at least 20 ms");

  lguest_data.irq_enabled = 0;
  start = now_ns();
  arm(4000000000u);
  arm(20000000);
  halt();
  elapsed = now_ns() - start;
  lgt_check(elapsed >= 20000000u && elapsed < 2000000000u,
            "SET_CLOCKEVENT replaces the earlier 4 s timer: woke after 20 ms, well before 2 s");
}

/* At CPL 3 (the kit maps everything with US): turns virtual interrupts on with a plain store, so the
   pending clock interrupt can only arrive here, and spins until the kernel's counter moves. */
static uint32_t user_spin(void) {
  uint32_t before = lgt_irq_count;
  lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
  lgt_barrier();
  for (uint32_t i = 0; i < SPIN_ROUNDS; i++) {
    if (lgt_irq_count != before) return 1;
  }
  return 0;
}

static void user_mode_irq(void) {
  lgt_paging_on(LGT_PTE_P | LGT_PTE_RW | LGT_PTE_US);
  lgt_user_init(LGT_TRAP_GATE);
  lguest_data.irq_enabled = 0;
  arm(1000000);
  lgt_check_u32("IRQ 0 while the guest spins at CPL 3: delivered", lgt_user_call(user_spin), 1);
  uint32_t top = lg_gpa(lgt_kernel_stack + sizeof lgt_kernel_stack);
  lgt_check(lgt_last_irq.cs == LGT_USER_CS && lgt_last_irq.user_ss == LGT_USER_DS &&
                lgt_last_irq.frame_at == top - 20 && lgt_last_irq.irq_at_entry == 0,
            "CPL 3 interrupt frame: cs 0x73, user ss, on the SET_STACK stack");
}

static void trap_gate_irq(void) {
  lgt_set_gate(LGT_IRQ_VECTOR, LGT_TRAP_GATE, 0, lgt_irq_handler);
  lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
  uint32_t before = lgt_irq_count;
  arm(1000000);
  lgt_check(spin_for_irq(before), "IRQ 0 through a trap gate: delivered");
  check_frame("trap gate: irq_enabled still 0x200 in the handler", 0x200);
  lgt_set_gate(LGT_IRQ_VECTOR, LGT_INTERRUPT_GATE, 0, lgt_irq_handler);
}

int main(void) {
  lguest_data.noirq_start = lg_gpa(lgt_noirq_start);
  lguest_data.noirq_end = lg_gpa(lgt_noirq_end);
  hcall(LHCALL_LGUEST_INIT, lg_gpa(&lguest_data), 0, 0, 0);
  lg_print("irqs: clock interrupt masking\n");
  lgt_check(lguest_data.time_sec != 0 && lguest_data.time_nsec < 1000000000u, "INIT wrote the wall clock");

  lgt_probe_exceptions(LGT_INTERRUPT_GATE);
  lguest_data.irq_enabled = 0;
  lgt_set_gate(LGT_IRQ_VECTOR, LGT_INTERRUPT_GATE, 0, lgt_irq_handler);
  masked_by_irq_enabled_and_blocked();
  plain_store_and_spin();
  not_present_entry();
  halt_and_clock();
  trap_gate_irq();
  user_mode_irq();

  arm(0);
  lguest_data.irq_enabled = 0;
  lguest_data.blocked_interrupts = 0xFFFFFFFFu;
  return lgt_summary("irqs");
}

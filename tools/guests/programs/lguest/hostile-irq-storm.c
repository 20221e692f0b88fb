/*
 * Hostile guest: an interrupt storm. The clock handler re-arms SET_CLOCKEVENT(100 ns) — the
 * smallest delta a guest asks for (spec §0, §6.7) — from inside every interrupt, and the kernel
 * spins (no hypercalls of its own) until STORM interrupts have arrived, then cancels the clock.
 * Expected: a correct result — the two console lines and a power-off — in bounded time; the
 * Host must keep delivering, never hang or throw.
 */
#include <hosttest.h>

#define STORM 2000u

static volatile uint32_t ticks;

static void tick(struct lgt_frame *frame, uint32_t irq_at_entry) {
  (void)frame;
  (void)irq_at_entry;
  if (++ticks < STORM) hcall(LHCALL_SET_CLOCKEVENT, 100, 0, 0, 0);
}

int main(void) {
  lgt_set_gate(LGT_IRQ_VECTOR, LGT_INTERRUPT_GATE, 0, tick);
  lg_printf("hostile-irq-storm: %u interrupts 100 ns apart\n", STORM);
  lguest_data.blocked_interrupts = ~1u;
  lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
  hcall(LHCALL_SET_CLOCKEVENT, 100, 0, 0, 0);
  lgt_barrier();
  for (uint32_t spin = 0; ticks < STORM && spin < 1000000000u; spin++) continue;
  hcall(LHCALL_SET_CLOCKEVENT, 0, 0, 0, 0);
  lguest_data.blocked_interrupts = 0xFFFFFFFFu;
  lg_printf("hostile-irq-storm: %u interrupts taken\n", ticks);
  return ticks == STORM ? 0 : 1;
}

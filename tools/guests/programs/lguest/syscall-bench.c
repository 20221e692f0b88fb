/*
 * Benchmark guest: system-call and hypercall round trips. A user program at CPL 3 makes BENCH_CALLS
 * `int $0x80` system calls (LGT_SYS_ADD1), first through a DPL 3 trap gate — which a real Host lets
 * the CPU deliver directly (spec §6.5) — then through an interrupt gate, which always goes through
 * the Host (§6.3); then the kernel makes BENCH_HYPERCALLS SEND_INTERRUPTS hypercalls. Each phase is
 * bracketed by console lines "bench <phase> start <n>" and "bench <phase> end <result>", so the
 * harness can time it from the NOTIFYs it sees (and count the Host's exits in between). The result of
 * each user phase is the sum of the system calls' answers, n(n+1)/2 mod 2^32, which proves every call
 * returned. The program then powers off.
 */
#include <hosttest.h>

#define BENCH_CALLS 100000u
#define BENCH_HYPERCALLS 20000u

static uint32_t user_loop(void) {
  uint32_t sum = 0;
  for (uint32_t i = 0; i < BENCH_CALLS; i++) sum += lgt_sys(LGT_SYS_ADD1, i);
  return sum;
}

static void user_phase(const char *phase, unsigned gate) {
  lgt_user_init(gate);
  lg_printf("bench %s start %u\n", phase, BENCH_CALLS);
  uint32_t sum = lgt_user_call(user_loop);
  lg_printf("bench %s end %u\n", phase, sum);
}

int main(void) {
  lgt_probe_exceptions(LGT_INTERRUPT_GATE);
  lgt_paging_on(LGT_PTE_P | LGT_PTE_RW | LGT_PTE_US);
  user_phase("syscall-trap-gate", LGT_TRAP_GATE);
  user_phase("syscall-interrupt-gate", LGT_INTERRUPT_GATE);
  lg_printf("bench hypercall start %u\n", BENCH_HYPERCALLS);
  for (uint32_t i = 0; i < BENCH_HYPERCALLS; i++) hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0, 0);
  lg_printf("bench hypercall end %u\n", BENCH_HYPERCALLS);
  return 0;
}

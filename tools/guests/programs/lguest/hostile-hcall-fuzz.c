/*
 * Hostile guest: valid hypercall numbers with random arguments. A seeded xorshift generator (seed
 * 0x5eed1234) picks, 10000 times, one of LOAD_IDT_ENTRY, LOAD_GDT_ENTRY, LOAD_TLS, SET_STACK,
 * SET_CLOCKEVENT, TS, FLUSH_TLB, SHUTDOWN, SET_PGD, SET_PTE or an unknown number, with
 * random 32-bit arguments (some drawn small, so that in-range cases happen too). Calls that could
 * only make the guest sleep or lose its own code (HALT, NEW_PGTABLE), and NOTIFY (whose random
 * values are the Launcher's business, not the Host's), are left out. Each random
 * call either kills the guest with one of the reasons of Appendix A (bad IDT type or vector, GDT
 * index, TLS or SHUTDOWN address, stack segment/pages/page, switcher PTE, SET_PGD index, unknown
 * hypercall) or is accepted; a GDT or IDT entry it changes may make the guest fault later ("unhandled
 * trap"). Expected: the console line, then a death with a reason — which one depends only on the
 * spec's rules and the guest's memory size, so a Host that follows them ends the same way every
 * run — or, if all 10000 calls
 * pass, "hostile-hcall-fuzz: survived" and a power-off. Never a host exception or a hang.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

static uint32_t state = 0x5EED1234u;

static uint32_t next_random(void) {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

/* Half the time a small number (an in-range index or count), else any 32-bit value. */
static uint32_t argument(uint32_t small) {
  uint32_t r = next_random();
  return r & 1 ? (r >> 1) % small : next_random();
}

static const uint32_t calls[] = {
    LHCALL_LOAD_IDT_ENTRY, LHCALL_LOAD_GDT_ENTRY, LHCALL_LOAD_TLS, LHCALL_SET_STACK,
    LHCALL_SET_CLOCKEVENT, LHCALL_TS,             LHCALL_FLUSH_TLB, LHCALL_SHUTDOWN,
    LHCALL_SET_PGD,        LHCALL_SET_PTE,        20,
};

int main(void) {
  lg_print("hostile-hcall-fuzz: 10000 random calls\n");
  for (unsigned i = 0; i < 10000; i++) {
    uint32_t call = calls[next_random() % (sizeof calls / sizeof calls[0])];
    uint32_t a = argument(300), b = argument(0x200000), c = argument(0x10000), d = next_random();
    /* Keep the guest's own code and data segments (GDT 12, 13) intact; everything else is fair
       game. */
    if (call == LHCALL_LOAD_GDT_ENTRY && (a == 12 || a == 13)) continue;
    hcall(call, a, b, c, d);
  }
  lg_print("hostile-hcall-fuzz: survived\n");
  return 0;
}

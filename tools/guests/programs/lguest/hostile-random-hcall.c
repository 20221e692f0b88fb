/*
 * Hostile guest: a random hypercall number. A seeded xorshift generator (seed 0x1badcafe) draws
 * 32-bit numbers until one is not a valid call (spec §3.2: 0-2, 4-10 and 13-19 are; on a non-PAE
 * Host 13 is not either) and makes it with random arguments. The console line names the number
 * (deterministic; see the .expected file). Expected death: "Bad hypercall <that number>".
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

static uint32_t state = 0x1BADCAFEu;

static uint32_t next_random(void) {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

int main(void) {
  uint32_t call;
  do call = next_random();
  while (call <= 19 && call != 3 && call != 11 && call != 12 && call != 13);
  uint32_t a = next_random(), b = next_random(), c = next_random(), d = next_random();
  lg_printf("hostile-random-hcall: hypercall %u\n", call);
  hcall(call, a, b, c, d);
  lg_panic("survived a random hypercall");
}

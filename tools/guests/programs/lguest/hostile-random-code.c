/*
 * Hostile guest: random bytes as code. A seeded xorshift generator (seed 0xc0dec0de) fills 4 KiB
 * with random bytes and random values for the general registers, and the guest jumps there at CPL 1
 * with no IDT entry. Whatever the bytes do — fault (no gate: "unhandled trap N"), make random
 * hypercalls (int $0x1f is in there with some probability), port I/O (emulated), jump anywhere —
 * the Host must end with a death and a reason, or the guest may spin forever in a loop of its own
 * (the test bounds that by time): never a host exception, never a Host that stops answering.
 * Expected: the console line, then any death reason of Appendix A.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

static uint8_t code[4096] __attribute__((aligned(4096)));
static uint32_t state = 0xC0DEC0DEu;
static uint32_t entry;

static uint32_t next_random(void) {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

int main(void) {
  for (unsigned i = 0; i < sizeof code; i++) code[i] = (uint8_t)next_random();
  lg_print("hostile-random-code: jumping into random bytes\n");
  entry = lg_gpa(code);
  __asm__ volatile("jmp *%0" : : "m"(entry), "a"(next_random()), "b"(next_random()), "c"(next_random()),
                   "d"(next_random()), "S"(next_random()), "D"(next_random()) : "memory");
  lg_panic("returned from random code");
}

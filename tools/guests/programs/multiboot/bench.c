/*
 * The CPU benchmark kernel (`pnpm bench` in packages/x86 runs it on lguest-x86 and on v86). Four
 * phases, each a fixed number of iterations of a hand-written loop, so every CPU executes the same
 * instruction stream:
 *
 *   alu     register-only arithmetic: add, xor, add imm, sub, dec, jnz (6 per iteration)
 *   rmw     with paging on, a read-modify-write walk over the 12 MiB from 4 MiB to 16 MiB:
 *           add [esi], eax; add esi, 4; dec; jnz (4 per dword), twice
 *   callret call of a function that pushes and pops two registers (8 per iteration)
 *   cr3     the rmw walk again, reloading CR3 (which flushes the TLB) every 256 iterations
 *
 * The harness times a phase from the previous marker line on COM1 to the phase's own line
 * ("phase <name> end ..."). Each line carries a value the loop computed, so two CPUs that ran the
 * phase differently print different text. The page tables (a directory and four tables mapping the
 * first 16 MiB one to one with 4 KiB pages) are built in .bss before the rmw phase; paging stays on
 * until the end. Needs 16 MiB of RAM or more.
 */
#include <stdint.h>

#include <multiboot.h>

#define ALU_ITERATIONS 5000000u
#define WALK_START 0x400000u
#define WALK_BYTES (12u << 20)
#define WALK_PASSES 2u
#define CALL_ITERATIONS 3000000u
#define CR3_INTERVAL 256u
#define MAPPED_TABLES 4u

#define PTE_PRESENT 0x1u
#define PTE_WRITE 0x2u
#define CR0_PG 0x80000000u

static uint32_t page_directory[1024] __attribute__((aligned(4096)));
static uint32_t page_tables[MAPPED_TABLES][1024] __attribute__((aligned(4096)));

static uint32_t phase_alu(void) {
  uint32_t a = 1, b = 2, d = 3, s = 4, n = ALU_ITERATIONS;
  __asm__ volatile(
      "1:\n\t"
      "addl %%ecx, %%eax\n\t"
      "xorl %%eax, %%ebx\n\t"
      "addl $3, %%edx\n\t"
      "subl %%ebx, %%esi\n\t"
      "decl %%ecx\n\t"
      "jnz 1b"
      : "+a"(a), "+b"(b), "+d"(d), "+S"(s), "+c"(n)
      :
      : "cc");
  return a ^ b ^ d ^ s;
}

static void paging_on(void) {
  for (uint32_t t = 0; t < MAPPED_TABLES; t++) {
    for (uint32_t i = 0; i < 1024; i++) page_tables[t][i] = ((t * 1024 + i) << 12) | PTE_PRESENT | PTE_WRITE;
    page_directory[t] = (uint32_t)(uintptr_t)page_tables[t] | PTE_PRESENT | PTE_WRITE;
  }
  uint32_t cr0;
  __asm__ volatile("movl %0, %%cr3" : : "r"((uint32_t)(uintptr_t)page_directory) : "memory");
  __asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("movl %0, %%cr0" : : "r"(cr0 | CR0_PG) : "memory");
}

static void phase_rmw(uint32_t value) {
  uint32_t passes = WALK_PASSES, p, n;
  __asm__ volatile(
      "2:\n\t"
      "movl %[start], %[p]\n\t"
      "movl %[dwords], %[n]\n\t"
      "1:\n\t"
      "addl %[v], (%[p])\n\t"
      "addl $4, %[p]\n\t"
      "decl %[n]\n\t"
      "jnz 1b\n\t"
      "decl %[passes]\n\t"
      "jnz 2b"
      : [passes] "+r"(passes), [p] "=&r"(p), [n] "=&r"(n)
      : [v] "r"(value), [start] "i"(WALK_START), [dwords] "i"(WALK_BYTES / 4)
      : "cc", "memory");
}

static uint32_t phase_callret(void) {
  uint32_t n = CALL_ITERATIONS, b = 5, s = 6;
  __asm__ volatile(
      "jmp 2f\n"
      "3:\n\t"
      "pushl %%ebx\n\t"
      "pushl %%esi\n\t"
      "popl %%esi\n\t"
      "popl %%ebx\n\t"
      "ret\n"
      "2:\n\t"
      "call 3b\n\t"
      "decl %%ecx\n\t"
      "jnz 2b"
      : "+c"(n), "+b"(b), "+S"(s)
      :
      : "cc", "memory");
  return n + b + s;
}

static void phase_cr3(uint32_t value) {
  uint32_t passes = WALK_PASSES, p, n, blocks;
  __asm__ volatile(
      "3:\n\t"
      "movl %[start], %[p]\n\t"
      "movl %[blocks_per_pass], %[blocks]\n\t"
      "2:\n\t"
      "movl %[interval], %[n]\n\t"
      "1:\n\t"
      "addl %[v], (%[p])\n\t"
      "addl $4, %[p]\n\t"
      "decl %[n]\n\t"
      "jnz 1b\n\t"
      "movl %[dir], %%cr3\n\t"
      "decl %[blocks]\n\t"
      "jnz 2b\n\t"
      "decl %[passes]\n\t"
      "jnz 3b"
      : [passes] "+m"(passes), [p] "=&r"(p), [n] "=&r"(n), [blocks] "=&r"(blocks)
      : [v] "r"(value), [dir] "r"((uint32_t)(uintptr_t)page_directory), [start] "i"(WALK_START),
        [blocks_per_pass] "i"(WALK_BYTES / 4 / CR3_INTERVAL), [interval] "i"(CR3_INTERVAL)
      : "cc", "memory");
}

static uint32_t walk_word(uint32_t offset) {
  return *(volatile uint32_t *)(uintptr_t)(WALK_START + offset);
}

int main(void) {
  serial_print("bench: start\n");
  serial_printf("phase alu end, result %08x\n", phase_alu());
  paging_on();
  phase_rmw(0x01010101u);
  serial_printf("phase rmw end, words %08x %08x\n", walk_word(0), walk_word(WALK_BYTES - 4));
  serial_printf("phase callret end, result %08x\n", phase_callret());
  phase_cr3(0x10000001u);
  serial_printf("phase cr3 end, words %08x %08x\n", walk_word(0), walk_word(WALK_BYTES - 4));
  return 0;
}

/*
 * The native side of the x86 conformance harness: runs generated instruction cases on the real
 * processor, in a 32-bit Linux process at CPL 3, and reports what the processor did.
 *
 * `gen.py` (the generator) writes a case file and runs this program with it on stdin; the results go
 * to stdout and become the expectations that `packages/x86/test/conformance.test.ts` checks the
 * TypeScript CPU against. Input and output formats are described in ../README.md.
 *
 * For every case the program copies the instruction bytes into two fixed code pages, follows them
 * with a tail that stores the eight general registers and EFLAGS to globals and jumps back, loads
 * the case's registers and EFLAGS and jumps to the code. A fault (#DE, #BR, #UD, #GP, #PF) arrives
 * as a signal, runs on an alternate stack (the case's ESP may be anything) and leaves through
 * siglongjmp, recording the trap number and the registers the kernel saw at the fault.
 *
 * Build: gcc -m32 -O2 -no-pie -fno-pie (the entry stub names globals by absolute address).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* These addresses are shared with gen.py and the adapter test (vectors/index.json records them). */
#define CODE_BASE 0x00200000u
#define CODE_SIZE 0x2000u /* two pages, so an instruction can straddle the boundary */
#define DATA_BASE 0x00008000u
#define DATA_SIZE 0x00010000u
#define MAX_CODE 64u
#define TAIL_MAX 80u /* bytes write_tail() appends (66) rounded up */

/* Only the flags CPL 3 may set: CF PF AF ZF SF DF OF NT. TF and AC stay clear (TF would trap after
 * every instruction; AC with Linux's CR0.AM would make unaligned accesses fault). Bit 1 and IF are
 * always set, as POPF at CPL 3 cannot clear IF anyway. */
#define FLAGS_SETTABLE 0x4cd5u
#define FLAGS_FIXED 0x0202u

uint32_t in_eflags;
uint32_t in_regs[8];
uint32_t out_regs[8];
uint32_t out_eflags;
uint32_t saved_esp;
void *code_entry = (void *)CODE_BASE;
void *case_return_ptr;

/* A private stack for the tail's pushfd, so that it never touches the case's stack. */
static uint32_t tail_stack[16];

void run_case(void);
void case_return(void);

__asm__(".text\n"
        ".globl run_case\n"
        "run_case:\n"
        "  push %ebp\n"
        "  push %ebx\n"
        "  push %esi\n"
        "  push %edi\n"
        "  mov %esp, saved_esp\n"
        "  mov $in_eflags, %esp\n"
        "  popfl\n"
        "  mov in_regs+0, %eax\n"
        "  mov in_regs+4, %ecx\n"
        "  mov in_regs+8, %edx\n"
        "  mov in_regs+12, %ebx\n"
        "  mov in_regs+20, %ebp\n"
        "  mov in_regs+24, %esi\n"
        "  mov in_regs+28, %edi\n"
        "  mov in_regs+16, %esp\n"
        "  jmp *code_entry\n"
        ".globl case_return\n"
        "case_return:\n"
        "  cld\n"
        "  mov saved_esp, %esp\n"
        "  pop %edi\n"
        "  pop %esi\n"
        "  pop %ebx\n"
        "  pop %ebp\n"
        "  ret\n");

static sigjmp_buf fault_jump;
static volatile uint32_t fault_trapno, fault_eip;

/* The kernel's register frame, in the harness's REG_* order (EAX ECX EDX EBX ESP EBP ESI EDI). */
static void on_fault(int sig, siginfo_t *info, void *context) {
  (void)sig;
  (void)info;
  ucontext_t *uc = context;
  greg_t *g = uc->uc_mcontext.gregs;
  fault_trapno = (uint32_t)g[REG_TRAPNO];
  fault_eip = (uint32_t)g[REG_EIP];
  out_regs[0] = (uint32_t)g[REG_EAX];
  out_regs[1] = (uint32_t)g[REG_ECX];
  out_regs[2] = (uint32_t)g[REG_EDX];
  out_regs[3] = (uint32_t)g[REG_EBX];
  out_regs[4] = (uint32_t)g[REG_UESP];
  out_regs[5] = (uint32_t)g[REG_EBP];
  out_regs[6] = (uint32_t)g[REG_ESI];
  out_regs[7] = (uint32_t)g[REG_EDI];
  out_eflags = (uint32_t)g[REG_EFL];
  siglongjmp(fault_jump, 1);
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

static void read_exact(void *dst, size_t len) {
  if (len != 0 && fread(dst, 1, len, stdin) != len) {
    fprintf(stderr, "runner: truncated case file\n");
    exit(2);
  }
}

static uint32_t read_u32(void) {
  uint8_t b[4];
  read_exact(b, 4);
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint32_t read_u16(void) {
  uint8_t b[2];
  read_exact(b, 2);
  return (uint32_t)b[0] | (uint32_t)b[1] << 8;
}

static void put_u32(uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  fwrite(b, 1, 4, stdout);
}

static void put_u16(uint32_t v) {
  uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  fwrite(b, 1, 2, stdout);
}

/* Appends `mov [abs32], reg` for each general register, then the EFLAGS capture and the way home. */
static size_t write_tail(uint8_t *p) {
  size_t n = 0;
  for (int r = 0; r < 8; r++) {
    uint32_t a = (uint32_t)(uintptr_t)&out_regs[r];
    p[n++] = 0x89;
    p[n++] = (uint8_t)(0x05 | r << 3);
    memcpy(p + n, &a, 4);
    n += 4;
  }
  uint32_t top = (uint32_t)(uintptr_t)&tail_stack[15];
  p[n++] = 0xbc; /* mov esp, imm32 */
  memcpy(p + n, &top, 4);
  n += 4;
  p[n++] = 0x9c; /* pushfd */
  uint32_t fl = (uint32_t)(uintptr_t)&out_eflags;
  p[n++] = 0x8f; /* pop [abs32] */
  p[n++] = 0x05;
  memcpy(p + n, &fl, 4);
  n += 4;
  uint32_t ret = (uint32_t)(uintptr_t)&case_return_ptr;
  p[n++] = 0xff; /* jmp [abs32] */
  p[n++] = 0x25;
  memcpy(p + n, &ret, 4);
  n += 4;
  return n;
}

int main(void) {
  uint8_t *code = mmap((void *)CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (code == MAP_FAILED || code != (uint8_t *)CODE_BASE) die("runner: mmap code page");
  uint8_t *data = mmap((void *)DATA_BASE, DATA_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (data == MAP_FAILED || data != (uint8_t *)DATA_BASE) {
    die("runner: mmap data region (is vm.mmap_min_addr <= 0x8000?)");
  }
  case_return_ptr = (void *)case_return;

  static uint8_t altstack[65536];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) die("runner: sigaltstack");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  int sigs[] = {SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGTRAP};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    if (sigaction(sigs[i], &sa, NULL) != 0) die("runner: sigaction");
  }

  /* Case file: "LGXI", u32 count, the data region's background (DATA_SIZE bytes), then the cases. */
  uint8_t magic[4];
  read_exact(magic, 4);
  if (memcmp(magic, "LGXI", 4) != 0) {
    fprintf(stderr, "runner: not a case file\n");
    return 2;
  }
  uint32_t count = read_u32();
  static uint8_t background[DATA_SIZE];
  static uint8_t initial[DATA_SIZE];
  read_exact(background, DATA_SIZE);
  memcpy(data, background, DATA_SIZE);
  fwrite("LGXO", 1, 4, stdout);
  put_u32(count);

  for (uint32_t c = 0; c < count; c++) {
    uint32_t len = 0;
    read_exact(&len, 1);  /* then u16 offset of the code in the code pages */
    if (len == 0 || len > MAX_CODE) {
      fprintf(stderr, "runner: case %u has a bad code length %u\n", c, len);
      return 2;
    }
    uint32_t at = read_u16();
    if (at + len + TAIL_MAX > CODE_SIZE) {
      fprintf(stderr, "runner: case %u places its code outside the code pages\n", c);
      return 2;
    }
    read_exact(code + at, len);
    write_tail(code + at + len);
    code_entry = code + at;
    for (int r = 0; r < 8; r++) in_regs[r] = read_u32();
    in_eflags = (read_u32() & FLAGS_SETTABLE) | FLAGS_FIXED;
    uint32_t patches = 0;
    read_exact(&patches, 1);
    for (uint32_t i = 0; i < patches; i++) {
      uint32_t off = read_u16();
      uint32_t plen = 0;
      read_exact(&plen, 1);
      if (off + plen > DATA_SIZE) {
        fprintf(stderr, "runner: case %u patches outside the data region\n", c);
        return 2;
      }
      read_exact(data + off, plen);
    }
    memcpy(initial, data, DATA_SIZE);

    volatile uint32_t status = 0xff;
    if (sigsetjmp(fault_jump, 1) == 0) {
      run_case();
    } else {
      status = fault_trapno & 0xff;
    }

    /* Result: u8 status (0xff completed, else the trap number), u32 eip at a fault, 8 regs, eflags,
     * then the data region's changed bytes as runs against the case's initial contents. */
    fputc((int)status, stdout);
    put_u32(status == 0xff ? 0 : fault_eip);
    for (int r = 0; r < 8; r++) put_u32(out_regs[r]);
    put_u32(out_eflags);
    uint32_t runs = 0;
    for (uint32_t i = 0; i < DATA_SIZE;) {
      if (data[i] == initial[i]) {
        i++;
        continue;
      }
      uint32_t j = i;
      while (j < DATA_SIZE && j - i < 255 && data[j] != initial[j]) j++;
      runs++;
      i = j;
    }
    put_u16(runs);
    for (uint32_t i = 0; i < DATA_SIZE;) {
      if (data[i] == initial[i]) {
        i++;
        continue;
      }
      uint32_t j = i;
      while (j < DATA_SIZE && j - i < 255 && data[j] != initial[j]) j++;
      put_u16(i);
      fputc((int)(j - i), stdout);
      fwrite(data + i, 1, j - i, stdout);
      i = j;
    }
    memcpy(data, background, DATA_SIZE);
  }
  if (fflush(stdout) != 0) die("runner: write results");
  return 0;
}

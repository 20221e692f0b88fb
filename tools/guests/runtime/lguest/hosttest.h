/*
 * The lguest runtime's Host-test kit: what the programs that prove a Host (every program in
 * programs/lguest/ but hello and selftest) share. It gives a guest the kernel machinery the Host's
 * rules are about — an IDT through LOAD_IDT_ENTRY (§6.6) with one stub per vector and a C dispatcher
 * that sees the §6.3 frame, the guest side of the virtual IF on return (an iret window for
 * noirq_start/end), a tiny identity page table (§7), user mode at CPL 3 with `int $0x80` system calls
 * (§5.1, SET_STACK), and a way to run instructions that should trap and resume after them
 * ("probes") — plus result lines in one fixed format: "ok <name>" or "FAIL <name>: …", and a summary.
 * Implemented in hosttest.c and hosttest_entry.S, which are linked into every lguest image (the
 * runtime's Makefile links the whole runtime directory); only these programs call them.
 */
#ifndef GUESTS_LGUEST_HOSTTEST_H
#define GUESTS_LGUEST_HOSTTEST_H

#include <stdint.h>

#include "lguest.h"

/* Selectors (§5.1): guest kernel code/data (GDT 12/13, RPL 1) and user code/data (14/15, RPL 3). */
#define LGT_KERNEL_CS 0x61
#define LGT_KERNEL_DS 0x69
#define LGT_USER_CS 0x73
#define LGT_USER_DS 0x7B

/* IDT gate types (§6.6): an interrupt gate makes the Host clear irq_enabled; a trap gate does not. */
#define LGT_INTERRUPT_GATE 0xE
#define LGT_TRAP_GATE 0xF

/* The first virtual IRQ's vector (§6.1) and the system-call vector (§4 syscall_vec). */
#define LGT_IRQ_VECTOR 0x20
#define LGT_SYSCALL_VECTOR 0x80

/* Page-table flags (§7.1). */
#define LGT_PTE_P 0x001u
#define LGT_PTE_RW 0x002u
#define LGT_PTE_US 0x004u
#define LGT_PTE_A 0x020u
#define LGT_PTE_D 0x040u

/* What the dispatcher gives a handler: the registers the entry stub saved, then the Host's frame
   (§6.3): error code (0 pushed by the stub for vectors without one), eip, cs, eflags, and — only
   when cs says the trap came from CPL 3 — the user esp and ss. */
struct lgt_frame {
  uint32_t gs, fs, es, ds;
  uint32_t edi, esi, ebp, esp_at_pushal, ebx, edx, ecx, eax;
  uint32_t vector; /* on return: the value the stub stores into irq_enabled before iret */
  uint32_t error;
  uint32_t eip, cs, eflags;
  uint32_t user_esp, user_ss;
};

/* A trap handler: irq_at_entry is lguest_data.irq_enabled as the handler found it (0 after an
   interrupt gate, §6.3 step 5). It may change the frame (eip, eax, ...) before returning. */
typedef void lgt_handler(struct lgt_frame *frame, uint32_t irq_at_entry);

/* The last trap the probe handler saw (lgt_probe_handler), for the program to print and check. */
struct lgt_trap {
  uint32_t count; /* traps the probe handler has taken so far */
  uint32_t vector, error, eip, cs, eflags, irq_at_entry, cr2, user_esp, user_ss;
  uint32_t frame_at; /* the address of the frame's eip word: where the Host built the frame */
};
extern volatile struct lgt_trap lgt_last;

/* Probes: LGT_TRY(instructions, operands…) runs the instructions with lgt_probe_at = their address
   and lgt_resume = the address after them. A probe handler that takes a trap records it in lgt_last
   and resumes at lgt_resume (clearing it); a trap with lgt_resume 0 is unexpected and ends the
   program. The operands part must always be given (at least `::: "memory"`), so registers in the
   instructions are written %%eax. */
extern volatile uint32_t lgt_probe_at, lgt_probe_esp, lgt_resume;
#define LGT_TRY(insns, ...) LGT_TRY_AFTER("", insns, __VA_ARGS__)
/* The same with setup instructions first (outside the probe); the probe's own prefix is three movs
   to memory, so flags the setup leaves (OF for into, CF) reach the probed instruction. */
#define LGT_TRY_AFTER(setup, insns, ...)                                                        \
  __asm__ volatile(setup "\n\tmovl $1f, lgt_resume\n\tmovl $0f, lgt_probe_at\n\t"           \
                         "movl %%esp, lgt_probe_esp\n0:\t" insns "\n1:\n\tmovl $0, lgt_resume" \
                   __VA_ARGS__)

/* One result line for the last probe: "ok <name>" when exactly one trap was taken (lgt_last.count
   1) with this vector, error code, cs and eip, else "FAIL <name>: …" with what was seen. Resets
   lgt_last.count to 0. eip_offset is the frame eip minus lgt_probe_at (0 for a fault, the
   instruction length for a trap). */
void lgt_expect_trap(const char *name, uint32_t vector, uint32_t error, uint32_t eip_offset, uint32_t cs);
/* "ok <name>" when the probe took no trap (lgt_last.count 0). */
void lgt_expect_no_trap(const char *name);

/* Installs IDT entry `vector` (LOAD_IDT_ENTRY, §6.6) pointing at its stub, with gate type and DPL;
   the dispatcher calls handler for it. */
void lgt_set_gate(unsigned vector, unsigned type, unsigned dpl, lgt_handler *handler);
/* Sends LOAD_IDT_ENTRY(vector, 0, 0): a not-present entry (§6.6 step 3). */
void lgt_clear_gate(unsigned vector);
/* The address of vector's entry stub (what lgt_set_gate puts in the gate). */
uint32_t lgt_stub(unsigned vector);
/* Records the trap in lgt_last and resumes at lgt_resume (see LGT_TRY). */
void lgt_probe_handler(struct lgt_frame *frame, uint32_t irq_at_entry);
/* Probe gates of the given type on the CPU exception vectors 0–19 except 2, 8 and 15, which
   LOAD_IDT_ENTRY ignores (§6.6) — DPL 3 for int3 and into (3, 4), as Linux sets them, DPL 0 for the
   rest; then virtual interrupts on (irq_enabled 0x200) with every line still blocked, so a frame's
   IF bit is 1 whether the Host reflects a trap or the CPU delivers it directly (§6.5). */
void lgt_probe_exceptions(unsigned type);

/* The iret window (§6.3) of the stub's return path: a program that makes its own LGUEST_INIT
   (lg_manual_init) puts these in lguest_data.noirq_start/noirq_end first. It also holds
   lgt_noirq_spin(n), a loop of n rounds that runs entirely inside the window. */
extern const char lgt_noirq_start[], lgt_noirq_end[];
/* Stores irq_enabled = 0x200, spins n rounds inside the iret window, then returns the value of
   lgt_irq_count it read as the last thing inside the window. */
uint32_t lgt_noirq_spin(uint32_t n);
/* Incremented by lgt_irq_handler. */
extern volatile uint32_t lgt_irq_count;
/* A handler for interrupts: counts them and remembers the frame in lgt_last_irq. */
void lgt_irq_handler(struct lgt_frame *frame, uint32_t irq_at_entry);
extern volatile struct lgt_trap lgt_last_irq;

/* Paging (§7): lgt_pgdir maps the first 4 MiB 1:1 through lgt_pt_low with PDE flags P|RW|US and the
   given PTE flags; page 0 is left unmapped. lgt_paging_on() builds it and sends NEW_PGTABLE. */
extern uint32_t lgt_pgdir[1024], lgt_pt_low[1024];
void lgt_paging_on(uint32_t pte_flags);

/* User mode (§5.1): lgt_user_init() loads the flat DPL-3 user code and data segments into GDT 14 and
   15, gives the Host the ring-1 stack (SET_STACK(0x69, top of lgt_kernel_stack, 2)) and installs
   `int $0x80` (DPL 3, syscall_type) with lgt_syscall_handler. Paging with US pages must be on. */
void lgt_user_init(unsigned syscall_type);
/* Runs fn at CPL 3 (cs 0x73, ss/ds/es 0x7B, fs/gs 0) on its own stack; returns what it returns
   (its return leads to system call 0, LGT_SYS_EXIT) or what it passes to lgt_sys(LGT_SYS_EXIT, v). */
uint32_t lgt_user_call(uint32_t (*fn)(void));
extern uint8_t lgt_user_stack[8192];
/* The ring-1 stack SET_STACK names: a trap from CPL 3 builds its frame at its top. */
extern uint8_t lgt_kernel_stack[8192];

/* System calls of the kit's `int $0x80` handler: eax = number, ebx = argument, result in eax. */
#define LGT_SYS_EXIT 0 /* back to the kernel: lgt_user_call returns ebx */
#define LGT_SYS_ADD1 1 /* returns ebx + 1 */
#define LGT_SYS_IRQ 2  /* returns lguest_data.irq_enabled as the handler found it */
static inline uint32_t lgt_sys(uint32_t nr, uint32_t arg) {
  __asm__ volatile("int $0x80" : "+a"(nr) : "b"(arg) : "memory");
  return nr;
}
/* Counts system calls taken by lgt_syscall_handler. */
extern volatile uint32_t lgt_syscall_count;
void lgt_syscall_handler(struct lgt_frame *frame, uint32_t irq_at_entry);

/* GDT (§5.3): a flat-limit data segment descriptor with the given base and DPL. */
void lgt_data_descriptor(uint32_t base, unsigned dpl, uint32_t *lo, uint32_t *hi);
/* The first 32-bit word at %fs:0 after loading %fs with selector; %fs is then set to 0 again. */
uint32_t lgt_read_fs0(uint32_t selector);
/* The first 32-bit word at %gs:0 after loading %gs with selector; %gs is then set to 0 again. */
uint32_t lgt_read_gs0(uint32_t selector);

/* Result lines. lgt_check: "ok <name>" or "FAIL <name>"; lgt_check_u32 adds got and want. */
void lgt_check(int ok, const char *name);
void lgt_check_u32(const char *name, uint32_t got, uint32_t want);
/* "<program>: N passed, M failed" and the exit status for main: 0 iff nothing failed. */
int lgt_summary(const char *program);

/* A compiler barrier: plain stores to lguest_data (irq_enabled, blocked_interrupts) are done before
   what follows — a spin on a volatile counter is no barrier for them. */
static inline void lgt_barrier(void) {
  __asm__ volatile("" : : : "memory");
}

/* The real EFLAGS (IF is always 1 in a guest, §5.1). */
static inline uint32_t lgt_read_eflags(void) {
  uint32_t v;
  __asm__ volatile("pushfl; popl %0" : "=r"(v));
  return v;
}

#endif

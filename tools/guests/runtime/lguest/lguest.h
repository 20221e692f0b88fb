/*
 * The lguest guest runtime's interface: what a program in programs/lguest/ may call. The guest is
 * entered by the Host at CPL 1 in linear mode (gva = gpa) with the register state of spec §5.5; the
 * runtime's crt0 registers its lguest_data (LGUEST_INIT, §3.5), runs main(), and powers off when main
 * returns. Output goes through the early console (NOTIFY of a ≤16-character string, §9.6); the end is
 * a SHUTDOWN hypercall (§3.2), which the Launcher reports as "CRASH: <text>".
 */
#ifndef GUESTS_LGUEST_H
#define GUESTS_LGUEST_H

#include <stddef.h>
#include <stdint.h>

/* Hypercall numbers (spec §3.2, valid for 2.6.31 … 4.0). */
#define LHCALL_FLUSH_ASYNC 0
#define LHCALL_LGUEST_INIT 1
#define LHCALL_SHUTDOWN 2
#define LHCALL_NEW_PGTABLE 4
#define LHCALL_FLUSH_TLB 5
#define LHCALL_LOAD_IDT_ENTRY 6
#define LHCALL_SET_STACK 7
#define LHCALL_TS 8
#define LHCALL_SET_CLOCKEVENT 9
#define LHCALL_HALT 10
#define LHCALL_SET_PMD 13
#define LHCALL_SET_PTE 14
#define LHCALL_SET_PGD 15
#define LHCALL_LOAD_TLS 16
#define LHCALL_NOTIFY 17
#define LHCALL_LOAD_GDT_ENTRY 18
#define LHCALL_SEND_INTERRUPTS 19

/* SHUTDOWN reason codes (spec §0). */
#define LGUEST_SHUTDOWN_POWEROFF 1
#define LGUEST_SHUTDOWN_RESTART 2

/* The async hypercall ring (§3.3): entries, and the status byte meaning "empty / done". */
#define LHCALL_RING_SIZE 64
#define LHCALL_STATUS_EMPTY 0xFF

/* Virtual IF value in lguest_data.irq_enabled (§4). */
#define LGUEST_IRQ_ENABLED 0x200

/* How many bytes the Host reads for a SHUTDOWN reason (§3.2); byte 127 is forced to NUL. */
#define LGUEST_SHUTDOWN_TEXT 128

/* Most characters one early-console NOTIFY may carry (§9.6). */
#define LGUEST_CONSOLE_CHUNK 16

/* One async ring entry: the eax, ebx, ecx, edx, esi images of a hypercall (§3.3). */
struct hcall_args {
  uint32_t arg0, arg1, arg2, arg3, arg4;
};

/* The guest/Host shared block, profile M, i386 (spec §4): 1392 bytes, offsets checked below. */
struct lguest_data {
  uint32_t irq_enabled;
  uint32_t blocked_interrupts;
  uint32_t cr2;
  uint32_t time_sec;
  uint32_t time_nsec;
  uint32_t irq_pending;
  uint8_t hcall_status[LHCALL_RING_SIZE];
  struct hcall_args hcalls[LHCALL_RING_SIZE];
  uint32_t reserve_mem;
  uint32_t tsc_khz;
  uint32_t noirq_start;
  uint32_t noirq_end;
  uint32_t kernel_address;
  uint32_t syscall_vec;
};

_Static_assert(__builtin_offsetof(struct lguest_data, hcall_status) == 24, "hcall_status at 24");
_Static_assert(__builtin_offsetof(struct lguest_data, hcalls) == 88, "hcalls at 88");
_Static_assert(__builtin_offsetof(struct lguest_data, reserve_mem) == 1368, "reserve_mem at 1368");
_Static_assert(__builtin_offsetof(struct lguest_data, syscall_vec) == 1388, "syscall_vec at 1388");
_Static_assert(sizeof(struct lguest_data) == 1392, "struct lguest_data is 1392 bytes");

/* The runtime's lguest_data, registered by crt0 before main() runs (runtime/lguest/lguest_data.c). */
extern struct lguest_data lguest_data;

/* The gpa the Host passed in esi at entry: boot_params, which the Launcher puts at gpa 0 (§5.5, §8.1). */
extern uint32_t lg_boot_params;

/* A synchronous hypercall: `int $0x1F` with eax = call, ebx/ecx/edx/esi = arguments (§3.1). The Host
   writes no result; "memory" because the Host reads and writes guest memory (lguest_data, buffers). */
static inline void hcall(uint32_t call, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4) {
  __asm__ volatile("int $0x1f" : "+a"(call) : "b"(a1), "c"(a2), "d"(a3), "S"(a4) : "memory");
}

/* In linear mode a guest-virtual address is its guest-physical address: what hypercalls take. */
static inline uint32_t lg_gpa(const volatile void *p) {
  return (uint32_t)(uintptr_t)p;
}

/* Early-console output (runtime/lguest/console.c): text goes out in NOTIFYs of ≤16 characters. */
void lg_putc(char c);
void lg_print(const char *s);
int lg_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Sends characters still waiting in the console chunk buffer (lg_print and lg_printf end with it). */
void lg_flush(void);

/* Ending the guest (runtime/lguest/shutdown.c). None of them returns. */
/* SHUTDOWN("Power down", 1): what Linux's power-off does; the Launcher prints "CRASH: Power down". */
__attribute__((noreturn)) void lg_poweroff(void);
/* SHUTDOWN(msg, 1), msg cut to 127 characters: what a Linux panic does. */
__attribute__((noreturn)) void lg_panic(const char *msg);
/* lg_poweroff() for 0, else SHUTDOWN("exit <code>", 1): lets a test read a result from the death reason. */
__attribute__((noreturn)) void lg_exit(int code);

/* The program's entry point, called by the runtime after LGUEST_INIT; returning ends in lg_exit(). */
int main(void);

/* A program that defines `const char lg_manual_init = 1;` is started without LGUEST_INIT: crt0 skips
   it (lg_manual_init is weak in crt0.S) and main() must make the call itself, after changing
   lguest_data if it wants to (noirq window, or a bad syscall_vec for a hostile test). Until then
   every other hypercall — including lg_print's NOTIFY — kills the guest (§3.5). */
extern const char lg_manual_init;

#endif

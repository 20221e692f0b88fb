/*
 * The multiboot runtime's IDT: 32 interrupt gates for the CPU exceptions, each leading to a stub in
 * traps.S and then to mb_trap(), which reports the exception on COM1 and exits with
 * MB_EXIT_EXCEPTION. mb_start() calls mb_install_idt() before main(). Vectors 32–255 stay
 * not-present (the IDT limit covers only 32 gates), so a stray interrupt raises #GP, which is reported.
 */
#include <stdint.h>

#include "multiboot.h"

#define TRAP_VECTORS 32
#define KERNEL_CS 0x08
/* Present, DPL 0, 32-bit interrupt gate (type 0xE): interrupts stay off inside the handler. */
#define GATE_INTERRUPT32 0x8E00u

/* What trap_common leaves on the stack: pushal's registers, then the stub's and the CPU's words. */
struct trap_frame {
  uint32_t edi, esi, ebp, esp_at_pushal, ebx, edx, ecx, eax;
  uint32_t vector, error;
  uint32_t eip, cs, eflags;
};

extern const uint32_t mb_trap_stubs[TRAP_VECTORS];

static uint32_t idt[TRAP_VECTORS * 2] __attribute__((aligned(8)));

void mb_install_idt(void) {
  for (int v = 0; v < TRAP_VECTORS; v++) {
    uint32_t handler = mb_trap_stubs[v];
    idt[2 * v] = (KERNEL_CS << 16) | (handler & 0xFFFFu);
    idt[2 * v + 1] = (handler & 0xFFFF0000u) | GATE_INTERRUPT32;
  }
  struct __attribute__((packed)) {
    uint16_t limit;
    uint32_t base;
  } pointer = {sizeof idt - 1, (uint32_t)(uintptr_t)idt};
  __asm__ volatile("lidt %0" : : "m"(pointer));
}

__attribute__((noreturn)) void mb_trap(const struct trap_frame *f);

void mb_trap(const struct trap_frame *f) {
  serial_printf("\nexception %u (error code 0x%x) at %04x:%08x, eflags %08x\n", f->vector, f->error, f->cs,
                f->eip, f->eflags);
  serial_printf("eax %08x ebx %08x ecx %08x edx %08x\n", f->eax, f->ebx, f->ecx, f->edx);
  serial_printf("esi %08x edi %08x ebp %08x\n", f->esi, f->edi, f->ebp);
  exit(MB_EXIT_EXCEPTION);
}

/*
 * The C side of a multiboot program's start and its end. crt0 calls mb_start() with the loader's
 * EAX and EBX once it has a stack, its own GDT and a clear .bss; mb_start() records the multiboot
 * information, installs the exception IDT and COM1, runs main(), and exits with its verdict through
 * the debug-exit port 0xF4 (QEMU's isa-debug-exit, and the project's CPU test harness).
 */
#include <io.h>

#include "multiboot.h"

void serial_init(void);
void mb_install_idt(void);

const struct multiboot_info *mb_info;

void exit(int code) {
  outb(MB_EXIT_PORT, (uint8_t)code);
  /* No exit device: stop here. With interrupts off, hlt never returns; the loop covers an NMI. */
  for (;;) __asm__ volatile("cli; hlt");
}

__attribute__((noreturn)) void mb_start(uint32_t magic, uint32_t info);

void mb_start(uint32_t magic, uint32_t info) {
  mb_install_idt();
  serial_init();
  if (magic == MULTIBOOT_BOOTLOADER_MAGIC) {
    mb_info = (const struct multiboot_info *)(uintptr_t)info;
  } else {
    /* Not fatal: a test harness may enter the image without a multiboot loader's information. */
    serial_printf("multiboot: entered with eax %08x, not the loader magic; no multiboot information\n",
                  magic);
  }
  exit(main() == 0 ? MB_EXIT_SUCCESS : MB_EXIT_FAILURE);
}

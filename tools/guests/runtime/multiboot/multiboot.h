/*
 * The bare-metal multiboot runtime's interface: what a program in programs/multiboot/ may call. A
 * multiboot v1 loader (QEMU's -kernel, GRUB, or the project's own CPU test harness) enters the image
 * in flat 32-bit protected mode at CPL 0 with EAX = 0x2BADB002 and EBX = the multiboot information.
 * The runtime loads its own GDT and an IDT that reports CPU exceptions, sets up COM1, runs main(),
 * and ends by writing an exit code to the debug-exit port 0xF4. For CPU tests and benchmarks.
 */
#ifndef GUESTS_MULTIBOOT_H
#define GUESTS_MULTIBOOT_H

#include <stdint.h>

/* Header fields (in the image) and the value the loader leaves in EAX. */
#define MULTIBOOT_HEADER_MAGIC 0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

/* Exit codes written to port 0xF4. A QEMU-style debug-exit device turns code c into process status
   (c << 1) | 1, so these become 33, 35 and 37; none can be mistaken for a plain emulator failure. */
#define MB_EXIT_PORT 0xF4
#define MB_EXIT_SUCCESS 0x10   /* main() returned 0 */
#define MB_EXIT_FAILURE 0x11   /* main() returned anything else */
#define MB_EXIT_EXCEPTION 0x12 /* a CPU exception reached the runtime's IDT */

/* COM1, polled. */
#define COM1_PORT 0x3F8

/* The start of the multiboot information structure (only the fields a test might want). */
struct multiboot_info {
  uint32_t flags;
  uint32_t mem_lower; /* KiB below 1 MiB, valid when flags bit 0 is set */
  uint32_t mem_upper; /* KiB above 1 MiB, valid when flags bit 0 is set */
  uint32_t boot_device;
  uint32_t cmdline; /* physical address of a C string, valid when flags bit 2 is set */
  uint32_t mods_count;
  uint32_t mods_addr;
  uint32_t syms[4];
  uint32_t mmap_length; /* valid, with mmap_addr, when flags bit 6 is set */
  uint32_t mmap_addr;
};

/* The loader's information block, or 0 when EAX did not hold the multiboot magic at entry. */
extern const struct multiboot_info *mb_info;

/* COM1 output (runtime/multiboot/serial.c). */
void serial_putc(char c);
void serial_print(const char *s);
int serial_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes code (its low byte) to port 0xF4; if that returns, stops the CPU with cli; hlt forever. */
__attribute__((noreturn)) void exit(int code);

/* The program's entry point; 0 ends in exit(MB_EXIT_SUCCESS), anything else in exit(MB_EXIT_FAILURE). */
int main(void);

#endif

/*
 * The smallest bare-metal multiboot program: proves the multiboot runtime's pipeline end to end. It
 * prints one line on COM1 and returns 0, which the runtime turns into exit(MB_EXIT_SUCCESS): 0x10
 * written to port 0xF4, process status 33 under QEMU's isa-debug-exit.
 */
#include <multiboot.h>

int main(void) {
  serial_print("Hello from a multiboot guest!\n");
  return 0;
}

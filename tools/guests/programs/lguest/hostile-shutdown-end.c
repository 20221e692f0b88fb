/*
 * Hostile guest: SHUTDOWN with an unterminated reason at the very end of memory (spec §3.2). The
 * program reads the RAM size from the e820 map the Launcher left in boot_params (offset 0x2d0, §8.1),
 * fills the last 64 bytes of RAM with 'x' (no NUL) and passes their gpa: the Host's 128-byte read
 * runs past the end. Expected death: when pfn_limit ends with RAM (a loader without device pages),
 * the failed read's reason, naming the address and length 128; under the reference Launcher, whose
 * device pages follow RAM, the read succeeds and the reason is "CRASH: " and the 64 x's (the device
 * page starts with a descriptor, so a few more bytes may follow). With no e820 map the program
 * says so and powers off.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

int main(void) {
  /* boot_params is where esi pointed at entry (gpa 0, §5.5). */
  const volatile uint8_t *boot = (const volatile uint8_t *)(uintptr_t)lg_boot_params;
  uint32_t entries = boot[0x1E8];
  uint32_t ram = *(const volatile uint32_t *)(boot + 0x2D0 + 8);
  if (entries == 0 || ram < 0x200000u) {
    lg_print("hostile-shutdown-end: no e820 map\n");
    return 0;
  }
  volatile char *tail = (volatile char *)(ram - 64);
  for (int i = 0; i < 64; i++) tail[i] = 'x';
  lg_print("hostile-shutdown-end: SHUTDOWN(end of RAM - 64)\n");
  hcall(LHCALL_SHUTDOWN, ram - 64, LGUEST_SHUTDOWN_POWEROFF, 0, 0);
  for (;;) __asm__ volatile("ud2");
}

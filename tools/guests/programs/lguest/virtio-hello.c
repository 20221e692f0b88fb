/*
 * The lguest.ts demo guest: the program the project README's main command boots. It finds the RAM
 * size in the e820 map of the boot page (spec §8.1), scans the lguest bus on the page above RAM (§9.1;
 * every device reset and acknowledged, §14.4 step 19), binds the virtio console as Linux does (status
 * 3 + NOTIFY, receive buffers posted, DRIVER_OK, §14.4 step 20), prints a short banner and the devices
 * it found through the console's transmit queue (§9.5), and powers off.
 *
 * Setup for virtio-hello.expected: `lguest 32 <image>` — 32 MiB, no --block or --rng, so the console
 * is the only device (IRQs 1 and 2). The first line goes out on the early console (§9.6), the rest
 * through virtio. Expected death: CRASH: Power down.
 * qemu-test: skip (the test host has no lguest bus)
 */
#include <lguest.h>
#include <virtio.h>

const char lg_manual_init = 1;

/* Receive buffers: the console driver posts some even when nobody types (Linux posts a ring's worth). */
static char rx_pool[4 * 256];

int main(void) {
  vio_lguest_init();
  lg_print("virtio-hello: early console up, scanning the lguest bus\n");
  if (vio_scan() < 0) {
    lg_print("virtio-hello: no e820 map in the boot page\n");
    return 1;
  }
  if (vio_console_open(rx_pool, 4, 256) != 0) {
    lg_print("virtio-hello: no virtio console on the device page\n");
    return 1;
  }
  vio_print("\nHello from lguest.ts!\n");
  vio_print("This is an lguest guest printing through its virtio console.\n\n");
  vio_printf("  RAM:         %u MiB (e820 at boot)\n", vio_ram_size >> 20);
  vio_printf("  device page: gpa 0x%x, %u device(s)\n", vio_device_page, vio_device_count);
  for (unsigned i = 0; i < vio_device_count; i++) {
    const struct vio_device *d = &vio_devices[i];
    vio_printf("    %-7s (type %u): %u queue(s), features 0x%x\n", vio_type_name(d->type), d->type, d->num_vq,
               d->features);
    for (unsigned q = 0; q < d->num_vq && q < VIO_MAX_QUEUES; q++) {
      const volatile uint8_t *c = d->vqconfig + 8 * q;
      uint32_t num = c[0] | (uint32_t)c[1] << 8, irq = c[2] | (uint32_t)c[3] << 8;
      uint32_t pfn = c[4] | (uint32_t)c[5] << 8 | (uint32_t)c[6] << 16 | (uint32_t)c[7] << 24;
      vio_printf("      queue %u: %u entries, IRQ %u, vring at 0x%x\n", q, num, irq, pfn << 12);
    }
  }
  vio_print("\nvirtio-hello: powering off. Goodbye!\n");
  return 0;
}

/*
 * Hostile guest: a buffer outside guest memory (spec §10.3 "Invalid address"). Once the console is
 * up, the program posts on the console's transmit queue one readable descriptor for 16 bytes at gpa
 * 0xf0000000 — far above RAM and the device pages — and kicks. Expected death (@lguest/devices'
 * wording): "console tx: descriptor 0: buffer 0xf0000000+0x10 is outside guest memory". The reference
 * Launcher dies with "Invalid address".
 *
 * Setup for virtio-bad-addr.expected: `lguest 32 <image>` (console only; any RAM size below 3.75 GiB).
 * The .expected holds the console text only.
 * qemu-test: skip (the test host has no lguest bus)
 */
#include <lguest.h>
#include <virtio.h>

const char lg_manual_init = 1;

static char rx_pool[4 * 256];

int main(void) {
  vio_lguest_init();
  if (vio_scan() < 0 || vio_console_open(rx_pool, 4, 256) != 0) {
    lg_print("virtio-bad-addr: no virtio console\n");
    return 1;
  }
  struct vio_queue *tx = &vio_console->queues[VIO_CONSOLE_TX];
  vio_print("virtio-bad-addr: posting a 16-byte buffer at 0xf0000000 on the console's transmit queue\n");
  /* Every transmit descriptor is free again once vio_print returns, so 0 is ours. */
  tx->desc[0] = (struct vio_desc){0xF0000000u, 0, 16, 0, 0};
  tx->avail[2 + tx->avail_idx % tx->num] = 0;
  __asm__ volatile("" : : : "memory");
  tx->avail[1] = ++tx->avail_idx;
  vio_mb();
  hcall(LHCALL_NOTIFY, tx->gpa, 0, 0, 0);
  lg_panic("survived: a buffer outside guest memory was not refused");
}

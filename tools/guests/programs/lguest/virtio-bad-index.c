/*
 * Hostile guest: an avail-ring head index that is no descriptor (spec §10.3: head ≥ num is fatal).
 * Once the console is up, the program puts head `num` (256) into the next slot of the console's
 * transmit avail ring, publishes it and kicks. The program has sent two transmit buffers before
 * (its two lines), so the bad head sits in slot 2. Expected death (@lguest/devices' wording):
 * "console tx: head descriptor 256 at avail slot 2 is not below 256". The reference Launcher dies
 * with a message naming the head.
 *
 * Setup for virtio-bad-index.expected: `lguest 32 <image>` (console only). The .expected holds the
 * console text only.
 * qemu-test: skip (the test host has no lguest bus)
 */
#include <lguest.h>
#include <virtio.h>

const char lg_manual_init = 1;

static char rx_pool[4 * 256];

int main(void) {
  vio_lguest_init();
  if (vio_scan() < 0 || vio_console_open(rx_pool, 4, 256) != 0) {
    lg_print("virtio-bad-index: no virtio console\n");
    return 1;
  }
  struct vio_queue *tx = &vio_console->queues[VIO_CONSOLE_TX];
  vio_print("virtio-bad-index: console up\n");
  /* This line takes the next slot itself; the bad head goes into the one after it. */
  vio_printf("virtio-bad-index: head %u in transmit avail slot %u\n", tx->num, (tx->avail_idx + 1) % tx->num);
  uint32_t slot = tx->avail_idx % tx->num;
  tx->avail[2 + slot] = (uint16_t)tx->num;
  __asm__ volatile("" : : : "memory");
  tx->avail[1] = ++tx->avail_idx;
  vio_mb();
  hcall(LHCALL_NOTIFY, tx->gpa, 0, 0, 0);
  lg_panic("survived: an avail head beyond the ring was not refused");
}

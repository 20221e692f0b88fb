/*
 * Hostile guest: a descriptor chain that loops (spec §10.3 "Looped descriptor"). Once the console is
 * up, the program posts on the console's transmit queue a chain 0 → 1 → 0 (both readable, NEXT set,
 * valid buffers) and kicks. The device side walks at most `num` descriptors per chain and then kills
 * the guest. Expected death (@lguest/devices' wording): "console tx: looped descriptor chain from
 * head 0: more than 256 descriptors". The reference Launcher dies with "Looped descriptor".
 *
 * Setup for virtio-bad-loop.expected: `lguest 32 <image>` (console only). The .expected holds the
 * console text only.
 * qemu-test: skip (the test host has no lguest bus)
 */
#include <lguest.h>
#include <virtio.h>

const char lg_manual_init = 1;

static char rx_pool[4 * 256];
static const char text[] = "never printed\n";

int main(void) {
  vio_lguest_init();
  if (vio_scan() < 0 || vio_console_open(rx_pool, 4, 256) != 0) {
    lg_print("virtio-bad-loop: no virtio console\n");
    return 1;
  }
  struct vio_queue *tx = &vio_console->queues[VIO_CONSOLE_TX];
  vio_print("virtio-bad-loop: posting the chain 0 -> 1 -> 0 on the console's transmit queue\n");
  /* Every transmit descriptor is free again once vio_print returns, so 0 and 1 are ours. */
  tx->desc[0] = (struct vio_desc){lg_gpa(text), 0, 4, VIO_DESC_F_NEXT, 1};
  tx->desc[1] = (struct vio_desc){lg_gpa(text) + 4, 0, 4, VIO_DESC_F_NEXT, 0};
  tx->avail[2 + tx->avail_idx % tx->num] = 0;
  __asm__ volatile("" : : : "memory");
  tx->avail[1] = ++tx->avail_idx;
  vio_mb();
  hcall(LHCALL_NOTIFY, tx->gpa, 0, 0, 0);
  lg_panic("survived: a looped descriptor chain was not refused");
}

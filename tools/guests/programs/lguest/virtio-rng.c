/*
 * The virtio entropy device (spec §9.5 "RNG", §10.4): one queue; the guest posts a writable buffer,
 * kicks, and sleeps in HALT until the completion IRQ; the Host fills the buffer from its random
 * source and reports the length. Two 64-byte reads: each must come back whole, not all zero, and the
 * two must differ (a chance of 2^-512 of a false failure).
 *
 * Setup for virtio-rng.expected: `lguest --rng 32 <image>` (rng first, IRQ 1; console last, IRQs 2–3).
 * Expected death: CRASH: Power down (CRASH: exit 1 when a check failed).
 * qemu-test: skip (the test host has no lguest bus)
 */
#include <lguest.h>
#include <string.h>
#include <virtio.h>

const char lg_manual_init = 1;

#define BYTES 64

static char rx_pool[4 * 256];
static uint8_t first[BYTES], second[BYTES];

/* One read: a single writable buffer, kicked, completion awaited by IRQ. Returns the used length. */
static uint32_t rng_read(struct vio_queue *q, uint8_t *buf) {
  memset(buf, 0, BYTES);
  struct vio_buf b = {lg_gpa(buf), BYTES, 1};
  if (vio_post(q, &b, 1) < 0) return 0;
  vio_kick(q);
  if (!vio_wait_used(q, 1000)) return 0;
  uint32_t len = 0;
  vio_get_used(q, &len);
  return len;
}

static int all_zero(const uint8_t *p) {
  for (unsigned i = 0; i < BYTES; i++)
    if (p[i]) return 0;
  return 1;
}

int main(void) {
  vio_lguest_init();
  if (vio_scan() < 0) {
    lg_print("virtio-rng: no e820 map in the boot page\n");
    return 1;
  }
  if (vio_console_open(rx_pool, 4, 256) != 0) lg_print("virtio-rng: no virtio console, staying on the early console\n");
  struct vio_device *rng = vio_find(VIO_ID_RNG);
  if (!rng) {
    vio_print("FAIL no entropy device on the lguest bus\n");
    return 1;
  }
  if (vio_finalize(rng, 0) != 0 || rng->num_vq < 1) {
    vio_print("FAIL the entropy queue is unusable\n");
    return 1;
  }
  struct vio_queue *q = &rng->queues[0];
  vio_irq_enable(q);
  vio_driver_ok(rng);

  vio_check_u32("first read: 64 bytes", rng_read(q, first), BYTES);
  vio_check(!all_zero(first), "first read: not all zero");
  vio_check_u32("second read: 64 bytes", rng_read(q, second), BYTES);
  vio_check(!all_zero(second), "second read: not all zero");
  vio_check(memcmp(first, second, BYTES) != 0, "the two reads differ");
  vio_check(vio_irq_count[q->irq] >= 2, "completions came by interrupt");
  return vio_summary("virtio-rng");
}

/*
 * Benchmark guest for the Launcher's devices (spec §9.5, §10.4): two phases, each bracketed by marker
 * lines on the virtio console for the harness to time and count exits between.
 *
 *   bench blk start <capacity bytes>  …  bench blk end <bytes read> <checksum>
 *     reads the whole block device sequentially, 64 KiB per request (header, sixteen 4 KiB data
 *     segments chained, status), one request in flight, each completion awaited by IRQ in HALT;
 *     the checksum (a sum of every 32-bit word read, mod 2^32) proves the data moved;
 *   bench con start <bytes>  …  bench con end <bytes>
 *     CONSOLE_KIB KiB of console output, 4 KiB transmit buffers of 64-character lines.
 *
 * Setup: `lguest --block=<file> 32 <image>`; any disk whose size is a multiple of 512 (a multiple of
 * 64 KiB is read in whole requests; a remainder in one shorter request). With no block device the blk
 * phase is skipped with a line saying so. No .expected file: the console phase prints 256 KiB of
 * filler. Expected death: CRASH: Power down (CRASH: exit 1 when a request failed).
 * qemu-test: skip (the test host has no lguest bus)
 */
#include <lguest.h>
#include <virtio.h>

const char lg_manual_init = 1;

#define REQUEST_BYTES (64 * 1024)
#define SEGMENT_BYTES 4096
#define CONSOLE_KIB 256
#define LINE 64

static char rx_pool[4 * 256];
static uint32_t data[REQUEST_BYTES / 4] __attribute__((aligned(4096)));
static char filler[SEGMENT_BYTES];

static int bench_blk(void) {
  struct vio_device *blk = vio_find(VIO_ID_BLOCK);
  if (!blk) {
    vio_print("bench blk skipped: no block device\n");
    return 0;
  }
  /* Linux 3.10 accepts every known block feature but BARRIER; SEG_MAX lets a request carry 16 segments. */
  uint32_t wanted = (1u << 1) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 9) | (1u << 10) | (1u << 11);
  if (vio_finalize(blk, wanted) != 0 || blk->num_vq < 1) {
    vio_print("FAIL the block queue is unusable\n");
    return 1;
  }
  struct vio_queue *q = &blk->queues[0];
  vio_irq_enable(q);
  vio_driver_ok(blk);
  uint32_t cap_lo = blk->config[0] | (uint32_t)blk->config[1] << 8 | (uint32_t)blk->config[2] << 16 |
                    (uint32_t)blk->config[3] << 24;
  uint32_t cap_hi = blk->config[4] | (uint32_t)blk->config[5] << 8;
  /* A 32-bit byte count: disks of 4 GiB and more are read up to the first 4 GiB - 64 KiB. */
  uint32_t sectors = cap_hi != 0 || cap_lo >= (0xFFFF0000u / VIO_BLK_SECTOR) ? 0xFFFF0000u / VIO_BLK_SECTOR : cap_lo;
  uint32_t seg = (blk->negotiated & (1u << VIO_BLK_F_SEG_MAX)) ? SEGMENT_BYTES : REQUEST_BYTES;
  uint32_t total = sectors * VIO_BLK_SECTOR, done = 0, sum = 0;
  vio_printf("bench blk start %u\n", total);
  while (done < total) {
    uint32_t len = total - done < REQUEST_BYTES ? total - done : REQUEST_BYTES, used = 0;
    int st = vio_blk_request(q, VIO_BLK_T_IN, done / VIO_BLK_SECTOR, data, len, seg, &used);
    if (st != VIO_BLK_S_OK || used != len + 1) {
      vio_printf("FAIL read at sector %u: status %d, used length %u\n", done / VIO_BLK_SECTOR, st, used);
      return 1;
    }
    for (uint32_t i = 0; i < len / 4; i++) sum += data[i];
    done += len;
  }
  vio_printf("bench blk end %u %u\n", done, sum);
  return 0;
}

static void bench_con(void) {
  for (uint32_t i = 0; i < SEGMENT_BYTES; i++) filler[i] = i % LINE == LINE - 1 ? '\n' : (char)('a' + (i / LINE) % 26);
  vio_printf("bench con start %u\n", CONSOLE_KIB * 1024);
  for (uint32_t i = 0; i < CONSOLE_KIB * 1024 / SEGMENT_BYTES; i++) vio_write(filler, SEGMENT_BYTES);
  vio_printf("bench con end %u\n", CONSOLE_KIB * 1024);
}

int main(void) {
  vio_lguest_init();
  if (vio_scan() < 0) {
    lg_print("virtio-blk-bench: no e820 map in the boot page\n");
    return 1;
  }
  if (vio_console_open(rx_pool, 4, 256) != 0) lg_print("virtio-blk-bench: no virtio console, staying on the early console\n");
  int failed = bench_blk();
  bench_con();
  return failed;
}

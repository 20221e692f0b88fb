/*
 * The virtio block device (spec §9.5 "Block", §10.4, §14.4 step 21): the guest binds the driver as
 * Linux 3.10 does (status 3 + NOTIFY accepting every offered feature but BARRIER, an interrupt gate
 * for the queue's IRQ, DRIVER_OK), then sends requests — each a chain of the 16-byte header (out),
 * the data segments, and the status byte (in) — kicks, and sleeps in HALT until the completion IRQ.
 * It checks: the config (capacity, seg_max), reads of sector 0 and of the last sector, a write of
 * sectors 1–4 in four 512-byte segments, FLUSH (when offered), the read-back, GET_ID, an unsupported
 * type (SCSI_CMD → UNSUPP) and requests outside the disk (→ IOERR; the reference Launcher would kill
 * the guest for the write past the end, "Write past end", but @lguest/devices answers IOERR).
 *
 * Setup the test must give (for virtio-block.expected): `lguest --block=<dir>/virtio-block.img 32
 * <image>` (block first, console last: IRQ 1 block, 2–3 console), the file named virtio-block.img
 * (GET_ID answers with the file's base name) and 65536 bytes long (128 sectors), byte i of sector s
 * being (s + i) mod 256. Afterwards sectors 1–4 of the file hold byte i of sector s = (0x80 + 16·s +
 * 3·i) mod 256 and every other byte is unchanged: the test should check that. Expected death:
 * CRASH: Power down (CRASH: exit 1 when a check failed).
 * qemu-test: skip (the test host has no lguest bus)
 */
#include <format.h>
#include <lguest.h>
#include <string.h>
#include <virtio.h>

const char lg_manual_init = 1;

#define CAPACITY 128
#define WRITE_FIRST 1
#define WRITE_SECTORS 4

static char rx_pool[4 * 256];
static uint8_t data[4096] __attribute__((aligned(4096)));
static char id[VIO_BLK_ID_BYTES + 1];
static char name[96];

static uint8_t disk_byte(uint32_t sector, uint32_t i) {
  return (uint8_t)(sector + i);
}

static uint8_t written_byte(uint32_t sector, uint32_t i) {
  return (uint8_t)(0x80 + 16 * sector + 3 * i);
}

/* Index of the first byte of `count` sectors from `first` in `data` that differs from the pattern,
   or -1. */
static int mismatch(uint32_t first, uint32_t count, uint8_t (*pattern)(uint32_t, uint32_t)) {
  for (uint32_t s = 0; s < count; s++)
    for (uint32_t i = 0; i < VIO_BLK_SECTOR; i++)
      if (data[s * VIO_BLK_SECTOR + i] != pattern(first + s, i)) return (int)(s * VIO_BLK_SECTOR + i);
  return -1;
}

static void check_request(const char *what, int status, int want, uint32_t used, uint32_t want_used) {
  snformat(name, sizeof name, "%s: status %d, used length %u", what, want, want_used);
  if (status == want && used == want_used) {
    vio_check(1, name);
  } else {
    vio_check(0, name);
    vio_printf("  got status %d, used length %u\n", status, used);
  }
}

int main(void) {
  vio_lguest_init();
  if (vio_scan() < 0) {
    lg_print("virtio-block: no e820 map in the boot page\n");
    return 1;
  }
  if (vio_console_open(rx_pool, 4, 256) != 0) lg_print("virtio-block: no virtio console, staying on the early console\n");
  struct vio_device *blk = vio_find(VIO_ID_BLOCK);
  if (!blk) {
    vio_print("FAIL no block device on the lguest bus\n");
    return 1;
  }
  vio_printf("virtio-block: %u-byte descriptor at 0x%x, offered features 0x%x\n",
             5 + 8 * blk->num_vq + 2 * blk->feature_len + blk->config_len, blk->gpa, blk->features);

  /* Linux 3.10 accepts every block feature it knows but BARRIER (bit 0). */
  uint32_t wanted = (1u << 1) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 9) | (1u << 10) | (1u << 11);
  if (vio_finalize(blk, wanted) != 0 || blk->num_vq < 1) {
    vio_print("FAIL the block queue is unusable\n");
    return 1;
  }
  struct vio_queue *q = &blk->queues[0];
  vio_irq_enable(q);
  vio_driver_ok(blk);
  vio_check_u32("negotiated SEG_MAX and FLUSH", blk->negotiated & ((1u << VIO_BLK_F_SEG_MAX) | (1u << VIO_BLK_F_FLUSH)),
                (1u << VIO_BLK_F_SEG_MAX) | (1u << VIO_BLK_F_FLUSH));
  uint32_t cap_lo = blk->config[0] | (uint32_t)blk->config[1] << 8 | (uint32_t)blk->config[2] << 16 |
                    (uint32_t)blk->config[3] << 24;
  uint32_t cap_hi = blk->config[4] | (uint32_t)blk->config[5] << 8 | (uint32_t)blk->config[6] << 16 |
                    (uint32_t)blk->config[7] << 24;
  uint32_t seg_max = blk->config_len >= 16 ? blk->config[12] | (uint32_t)blk->config[13] << 8 |
                                                 (uint32_t)blk->config[14] << 16 | (uint32_t)blk->config[15] << 24
                                           : 0;
  vio_check_u32("config capacity 128 sectors", cap_hi == 0 ? cap_lo : 0xFFFFFFFFu, CAPACITY);
  vio_check_u32("config seg_max 254", seg_max, 254);
  vio_check_u32("queue of 256 entries", q->num, 256);
  uint32_t last = cap_lo - 1;
  uint32_t used = 0;
  int st;

  memset(data, 0xEE, sizeof data);
  st = vio_blk_request(q, VIO_BLK_T_IN, 0, data, VIO_BLK_SECTOR, 0, &used);
  check_request("read sector 0", st, VIO_BLK_S_OK, used, VIO_BLK_SECTOR + 1);
  vio_check(mismatch(0, 1, disk_byte) < 0, "sector 0 holds the test's pattern");

  memset(data, 0xEE, sizeof data);
  st = vio_blk_request(q, VIO_BLK_T_IN, last, data, VIO_BLK_SECTOR, 0, &used);
  check_request("read the last sector", st, VIO_BLK_S_OK, used, VIO_BLK_SECTOR + 1);
  vio_check(mismatch(last, 1, disk_byte) < 0, "the last sector holds the test's pattern");

  for (uint32_t s = 0; s < WRITE_SECTORS; s++)
    for (uint32_t i = 0; i < VIO_BLK_SECTOR; i++) data[s * VIO_BLK_SECTOR + i] = written_byte(WRITE_FIRST + s, i);
  st = vio_blk_request(q, VIO_BLK_T_OUT, WRITE_FIRST, data, WRITE_SECTORS * VIO_BLK_SECTOR, VIO_BLK_SECTOR, &used);
  check_request("write sectors 1-4 in 4 segments", st, VIO_BLK_S_OK, used, 1);

  if (blk->negotiated & (1u << VIO_BLK_F_FLUSH)) {
    st = vio_blk_request(q, VIO_BLK_T_FLUSH, 0, 0, 0, 0, &used);
    check_request("flush", st, VIO_BLK_S_OK, used, 1);
  }

  memset(data, 0xEE, sizeof data);
  st = vio_blk_request(q, VIO_BLK_T_IN, WRITE_FIRST, data, WRITE_SECTORS * VIO_BLK_SECTOR, 0, &used);
  check_request("read back sectors 1-4", st, VIO_BLK_S_OK, used, WRITE_SECTORS * VIO_BLK_SECTOR + 1);
  vio_check(mismatch(WRITE_FIRST, WRITE_SECTORS, written_byte) < 0, "sectors 1-4 hold what was written");

  memset(data, 0xEE, sizeof data);
  st = vio_blk_request(q, VIO_BLK_T_IN, WRITE_FIRST + WRITE_SECTORS, data, VIO_BLK_SECTOR, 0, &used);
  check_request("read sector 5", st, VIO_BLK_S_OK, used, VIO_BLK_SECTOR + 1);
  vio_check(mismatch(WRITE_FIRST + WRITE_SECTORS, 1, disk_byte) < 0, "sector 5 is untouched");

  memset(data, 0, sizeof data);
  st = vio_blk_request(q, VIO_BLK_T_GET_ID, 0, data, VIO_BLK_ID_BYTES, 0, &used);
  memcpy(id, data, VIO_BLK_ID_BYTES);
  id[VIO_BLK_ID_BYTES] = '\0';
  check_request("GET_ID", st, VIO_BLK_S_OK, used, VIO_BLK_ID_BYTES + 1);
  vio_printf("block id: \"%s\"\n", id);

  st = vio_blk_request(q, 2 /* SCSI_CMD */, 0, data, VIO_BLK_SECTOR, 0, &used);
  check_request("SCSI_CMD is unsupported", st, VIO_BLK_S_UNSUPP, used, 1);

  st = vio_blk_request(q, VIO_BLK_T_IN, cap_lo, data, VIO_BLK_SECTOR, 0, &used);
  check_request("read past the end", st, VIO_BLK_S_IOERR, used, 1);
  st = vio_blk_request(q, VIO_BLK_T_IN, last, data, 2 * VIO_BLK_SECTOR, 0, &used);
  check_request("read across the end", st, VIO_BLK_S_IOERR, used, 1);
  st = vio_blk_request(q, VIO_BLK_T_OUT, cap_lo, data, VIO_BLK_SECTOR, 0, &used);
  check_request("write past the end", st, VIO_BLK_S_IOERR, used, 1);

  vio_check(vio_irq_count[q->irq] > 0, "completions came by interrupt");
  return vio_summary("virtio-block");
}

/*
 * The lguest runtime's virtio driver (virtio.h): the guest side of the lguest bus (spec §9), used by
 * the virtio-* programs to drive the Launcher's console, block and entropy devices. It follows the
 * order a Linux guest keeps (§14.4): the bus scan resets and acknowledges every device, a driver
 * finalizes features with a NOTIFY of the descriptor and uses its queues from then on, DRIVER_OK is
 * stored silently. Vrings are where the Host put them (pfn in the descriptor, layout of §9.4); the
 * driver only ever writes descriptors, the avail ring and its own status and feature bytes.
 */
#include <format.h>
#include <string.h>

#include "hosttest.h"
#include "virtio.h"

uint32_t vio_ram_size;
uint32_t vio_device_page;
unsigned vio_device_count;
struct vio_device vio_devices[VIO_MAX_DEVICES];
struct vio_device *vio_console;
volatile uint32_t vio_irq_count[32];

static unsigned passed, failed;

void vio_lguest_init(void) {
  /* The kit's interrupt return path stores the saved IF into irq_enabled and then irets: the Host
     must not inject an interrupt in between (§6.3). INIT reads the window once (§3.5 step 4). */
  lguest_data.noirq_start = lg_gpa(lgt_noirq_start);
  lguest_data.noirq_end = lg_gpa(lgt_noirq_end);
  hcall(LHCALL_LGUEST_INIT, lg_gpa(&lguest_data), 0, 0, 0);
}

const char *vio_type_name(unsigned type) {
  switch (type) {
    case VIO_ID_NET:
      return "net";
    case VIO_ID_BLOCK:
      return "block";
    case VIO_ID_CONSOLE:
      return "console";
    case VIO_ID_RNG:
      return "rng";
    default:
      return "unknown";
  }
}

/* The descriptor fields are packed and may be unaligned (§9.1): read them byte by byte. */
static uint32_t read_le(const volatile uint8_t *p, unsigned bytes) {
  uint32_t v = 0;
  for (unsigned i = 0; i < bytes; i++) v |= (uint32_t)p[i] << (8 * i);
  return v;
}

static void notify(uint32_t value) {
  hcall(LHCALL_NOTIFY, value, 0, 0, 0);
}

void vio_reset(struct vio_device *dev) {
  *dev->status = 0;
  notify(dev->gpa);
  *dev->status = VIO_S_ACKNOWLEDGE;
}

int vio_scan(void) {
  /* boot_params is where esi pointed at entry (gpa 0, §5.5); e820_entries at 0x1E8, the first entry
     at 0x2D0: u64 address, u64 size, u32 type (§8.1). */
  const volatile uint8_t *boot = (const volatile uint8_t *)(uintptr_t)lg_boot_params;
  vio_device_count = 0;
  if (boot[0x1E8] == 0) return -1;
  uint32_t size_lo = read_le(boot + 0x2D0 + 8, 4);
  uint32_t size_hi = read_le(boot + 0x2D0 + 12, 4);
  if (size_hi != 0 || size_lo == 0 || (size_lo & 0xFFF) != 0) return -1;
  vio_ram_size = size_lo;
  vio_device_page = size_lo;

  const volatile uint8_t *page = (const volatile uint8_t *)(uintptr_t)vio_device_page;
  uint32_t off = 0;
  while (off + 5 <= VIO_DEVICE_PAGE_SIZE && vio_device_count < VIO_MAX_DEVICES) {
    const volatile uint8_t *d = page + off;
    if (d[0] == 0) break;
    uint32_t num_vq = d[1], feature_len = d[2], config_len = d[3];
    uint32_t size = 5 + 8 * num_vq + 2 * feature_len + config_len;
    /* A descriptor that runs off the page is not one the Launcher wrote; stop there. */
    if (off + size > VIO_DEVICE_PAGE_SIZE) break;
    struct vio_device *dev = &vio_devices[vio_device_count++];
    memset(dev, 0, sizeof *dev);
    dev->gpa = vio_device_page + off;
    dev->type = d[0];
    dev->num_vq = (uint8_t)num_vq;
    dev->feature_len = (uint8_t)feature_len;
    dev->config_len = (uint8_t)config_len;
    dev->status = (volatile uint8_t *)(d + 4);
    dev->vqconfig = (volatile uint8_t *)(d + 5);
    dev->offered = dev->vqconfig + 8 * num_vq;
    dev->accepted = dev->offered + feature_len;
    dev->config = dev->accepted + feature_len;
    dev->features = read_le(dev->offered, feature_len < 4 ? feature_len : 4);
    off += size;
  }
  for (unsigned i = 0; i < vio_device_count; i++) vio_reset(&vio_devices[i]);
  return (int)vio_device_count;
}

struct vio_device *vio_find(unsigned type) {
  for (unsigned i = 0; i < vio_device_count; i++)
    if (vio_devices[i].type == type) return &vio_devices[i];
  return 0;
}

/* Reads virtqueue `index` of `dev` into `q` and threads its free list; -1 if the Host's numbers make
   no usable vring (num not a power of two, or the vring outside the device pages' address range). */
static int queue_init(struct vio_queue *q, struct vio_device *dev, unsigned index) {
  const volatile uint8_t *c = dev->vqconfig + 8 * index;
  uint32_t num = read_le(c, 2), irq = read_le(c + 2, 2), pfn = read_le(c + 4, 4);
  if (num == 0 || num > 0x8000 || (num & (num - 1)) != 0 || irq >= 32 || pfn >= 0x100000) return -1;
  memset(q, 0, sizeof *q);
  q->num = num;
  q->irq = irq;
  q->gpa = pfn << 12;
  q->desc = (volatile struct vio_desc *)(uintptr_t)q->gpa;
  q->avail = (volatile uint16_t *)(uintptr_t)(q->gpa + 16 * num);
  uint32_t used = (q->gpa + 16 * num + 2 * (3 + num) + VIO_VRING_ALIGN - 1) & ~(uint32_t)(VIO_VRING_ALIGN - 1);
  q->used = (volatile uint16_t *)(uintptr_t)used;
  q->used_ring = (volatile struct vio_used_elem *)(uintptr_t)(used + 4);
  for (uint32_t i = 0; i < num; i++) q->desc[i].next = (uint16_t)(i + 1);
  q->free_head = 0;
  q->num_free = (uint16_t)(num > 0xFFFF ? 0xFFFF : num);
  /* The ring starts zeroed by the Host (and again at every reset): avail.flags 0 asks for interrupts,
     avail.idx 0 is where both sides start. */
  q->avail[0] = 0;
  q->avail[1] = 0;
  return 0;
}

int vio_finalize(struct vio_device *dev, uint32_t wanted) {
  int ok = dev->num_vq <= VIO_MAX_QUEUES;
  for (unsigned i = 0; ok && i < dev->num_vq; i++) ok = queue_init(&dev->queues[i], dev, i) == 0;
  if (!ok) {
    *dev->status = VIO_S_ACKNOWLEDGE | VIO_S_DRIVER | VIO_S_FAILED;
    notify(dev->gpa);
    return -1;
  }
  *dev->status = VIO_S_ACKNOWLEDGE | VIO_S_DRIVER;
  dev->negotiated = wanted & dev->features;
  for (unsigned i = 0; i < dev->feature_len; i++)
    dev->accepted[i] = i < 4 ? (uint8_t)(dev->negotiated >> (8 * i)) : 0;
  notify(dev->gpa);
  return 0;
}

void vio_driver_ok(struct vio_device *dev) {
  *dev->status = VIO_S_ACKNOWLEDGE | VIO_S_DRIVER | VIO_S_DRIVER_OK;
}

int vio_post(struct vio_queue *q, const struct vio_buf *bufs, unsigned count) {
  if (count == 0 || count > q->num_free) return -1;
  uint16_t head = q->free_head;
  uint16_t i = head;
  for (unsigned k = 0; k < count; k++) {
    volatile struct vio_desc *d = &q->desc[i];
    d->addr_lo = bufs[k].addr;
    d->addr_hi = 0;
    d->len = bufs[k].len;
    uint16_t flags = bufs[k].writable ? VIO_DESC_F_WRITE : 0;
    if (k + 1 < count) flags |= VIO_DESC_F_NEXT;
    d->flags = flags;
    if (k + 1 < count) i = d->next;
  }
  /* The descriptor after the chain's last one heads the free list; the last keeps its `next`, which
     means nothing without NEXT. */
  q->free_head = q->desc[i].next;
  q->num_free = (uint16_t)(q->num_free - count);
  q->avail[2 + q->avail_idx % q->num] = head;
  /* The ring entry must be visible before the index that publishes it. */
  __asm__ volatile("" : : : "memory");
  q->avail_idx++;
  q->avail[1] = q->avail_idx;
  return head;
}

void vio_kick(struct vio_queue *q) {
  /* avail.idx must be published before the device's NO_NOTIFY is read (§10.3 re-checks after
     clearing it, so with both barriers no buffer is left without a kick). */
  vio_mb();
  if (q->used[0] & VIO_USED_F_NO_NOTIFY) {
    q->skipped++;
    return;
  }
  q->kicks++;
  notify(q->gpa);
}

int vio_has_used(const struct vio_queue *q) {
  return q->used[1] != q->last_used;
}

int vio_get_used(struct vio_queue *q, uint32_t *len) {
  if (!vio_has_used(q)) return -1;
  __asm__ volatile("" : : : "memory");
  volatile struct vio_used_elem *e = &q->used_ring[q->last_used % q->num];
  uint32_t id = e->id;
  if (len) *len = e->len;
  q->last_used++;
  if (id >= q->num) lg_panic("virtio: the device used a descriptor index beyond the ring");
  /* Give the chain back to the free list: follow NEXT from the head, at most num descriptors. */
  uint16_t last = (uint16_t)id;
  uint16_t n = 1;
  while ((q->desc[last].flags & VIO_DESC_F_NEXT) && n < q->num) {
    last = q->desc[last].next;
    n++;
  }
  q->desc[last].next = q->free_head;
  q->free_head = (uint16_t)id;
  q->num_free = (uint16_t)(q->num_free + n);
  return (int)id;
}

static void irq_handler(struct lgt_frame *frame, uint32_t irq_at_entry) {
  (void)irq_at_entry;
  vio_irq_count[(frame->vector - VIO_IRQ_VECTOR) & 31]++;
}

void vio_irq_enable(const struct vio_queue *q) {
  lgt_set_gate(VIO_IRQ_VECTOR + q->irq, LGT_INTERRUPT_GATE, 0, irq_handler);
  lguest_data.blocked_interrupts &= ~(1u << q->irq);
}

/* Interrupts back on, as Linux's restore_fl: store 0x200, and if the Host left an interrupt pending
   while they were off, ask for it now (SEND_INTERRUPTS, §6.2). */
static void irq_on(void) {
  lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
  __asm__ volatile("" : : : "memory");
  if (lguest_data.irq_pending & LGUEST_IRQ_ENABLED) hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0, 0);
}

int vio_wait_used(struct vio_queue *q, uint32_t max_halts) {
  for (uint32_t halts = 0;; halts++) {
    /* Interrupts off before the check, so an interrupt arriving between the check and HALT stays
       pending and HALT returns at once (§6.8: HALT ignores irq_enabled). */
    lguest_data.irq_enabled = 0;
    __asm__ volatile("" : : : "memory");
    if (vio_has_used(q) || halts == max_halts) {
      int done = vio_has_used(q);
      irq_on();
      return done;
    }
    hcall(LHCALL_HALT, 0, 0, 0, 0);
  }
}

/* ---- The console ---- */

/* A transmit buffer the Host must use within this many spins: the reference Launcher and
   @lguest/devices complete it before the kick returns, so this bound only turns a broken Host into a
   message instead of a hang. */
#define TX_SPIN_LIMIT (1u << 24)

int vio_console_open(char *rx_pool, unsigned rx_buffers, uint32_t rx_size) {
  struct vio_device *dev = vio_find(VIO_ID_CONSOLE);
  if (!dev || dev->num_vq < 2) return -1;
  if (vio_finalize(dev, 0) != 0) return -1;
  struct vio_queue *rx = &dev->queues[VIO_CONSOLE_RX], *tx = &dev->queues[VIO_CONSOLE_TX];
  /* Linux gives the transmit queue no callback, so its interrupt is suppressed. */
  tx->avail[0] = VIO_AVAIL_F_NO_INTERRUPT;
  vio_irq_enable(rx);
  for (unsigned i = 0; i < rx_buffers; i++) {
    struct vio_buf b = {lg_gpa(rx_pool + i * rx_size), rx_size, 1};
    if (vio_post(rx, &b, 1) < 0) break;
    vio_kick(rx);
  }
  vio_driver_ok(dev);
  vio_console = dev;
  return 0;
}

void vio_write(const char *s, uint32_t len) {
  if (!vio_console) {
    for (uint32_t i = 0; i < len; i++) lg_putc(s[i]);
    lg_flush();
    return;
  }
  if (len == 0) return;
  struct vio_queue *tx = &vio_console->queues[VIO_CONSOLE_TX];
  uint32_t was = lguest_data.irq_enabled;
  lguest_data.irq_enabled = 0;
  __asm__ volatile("" : : : "memory");
  struct vio_buf b = {lg_gpa(s), len, 0};
  if (vio_post(tx, &b, 1) < 0) lg_panic("virtio console: no free transmit descriptor");
  vio_kick(tx);
  uint32_t spins = 0;
  while (!vio_has_used(tx)) {
    if (++spins == TX_SPIN_LIMIT) lg_panic("virtio console: the Host never used a transmit buffer");
    __asm__ volatile("pause" : : : "memory");
  }
  vio_get_used(tx, 0);
  if (was & LGUEST_IRQ_ENABLED) irq_on();
}

void vio_print(const char *s) {
  vio_write(s, strlen(s));
}

static char line[1024];

int vio_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnformat(line, sizeof line, fmt, ap);
  va_end(ap);
  uint32_t len = n < 0 ? 0 : (uint32_t)n >= sizeof line ? sizeof line - 1 : (uint32_t)n;
  vio_write(line, len);
  return n;
}

int vio_console_read(char *dst, uint32_t size) {
  if (!vio_console) return -1;
  struct vio_queue *rx = &vio_console->queues[VIO_CONSOLE_RX];
  uint32_t len;
  int head = vio_get_used(rx, &len);
  if (head < 0) return -1;
  /* Each receive buffer is one descriptor, so its address is still in the table; the length is the
     Host's word, kept within the buffer (and the caller's) as a 3.10 guest clamps it. */
  uint32_t addr = rx->desc[head].addr_lo, cap = rx->desc[head].len;
  if (len > cap) len = cap;
  if (len > size) len = size;
  memcpy(dst, (const void *)(uintptr_t)addr, len);
  struct vio_buf b = {addr, cap, 1};
  if (vio_post(rx, &b, 1) >= 0) vio_kick(rx);
  return (int)len;
}

/* ---- Block requests ---- */

static struct {
  uint32_t type, ioprio, sector_lo, sector_hi;
} blk_header;
static volatile uint8_t blk_status;
#define BLK_MAX_BUFS 64

int vio_blk_request(struct vio_queue *q, uint32_t type, uint32_t sector, void *data, uint32_t len, uint32_t seg,
                    uint32_t *used_len) {
  struct vio_buf bufs[BLK_MAX_BUFS];
  unsigned n = 0;
  blk_header.type = type;
  blk_header.ioprio = 0;
  blk_header.sector_lo = sector;
  blk_header.sector_hi = 0;
  bufs[n++] = (struct vio_buf){lg_gpa(&blk_header), sizeof blk_header, 0};
  if (seg == 0) seg = len;
  for (uint32_t off = 0; off < len; off += seg) {
    if (n == BLK_MAX_BUFS - 1) return -1;
    uint32_t part = len - off < seg ? len - off : seg;
    bufs[n++] = (struct vio_buf){lg_gpa((char *)data + off), part, type != VIO_BLK_T_OUT};
  }
  blk_status = 0xFF;
  bufs[n++] = (struct vio_buf){lg_gpa(&blk_status), 1, 1};
  if (vio_post(q, bufs, n) < 0) return -1;
  vio_kick(q);
  if (!vio_wait_used(q, 1000)) return -1;
  uint32_t got = 0;
  vio_get_used(q, &got);
  if (used_len) *used_len = got;
  return blk_status;
}

/* ---- Result lines ---- */

void vio_check(int ok, const char *what) {
  if (ok) {
    passed++;
    vio_printf("ok %s\n", what);
  } else {
    failed++;
    vio_printf("FAIL %s\n", what);
  }
}

void vio_check_u32(const char *what, uint32_t got, uint32_t want) {
  if (got == want) {
    passed++;
    vio_printf("ok %s\n", what);
  } else {
    failed++;
    vio_printf("FAIL %s: got %u, want %u\n", what, got, want);
  }
}

int vio_summary(const char *program) {
  vio_printf("%s: %u passed, %u failed\n", program, passed, failed);
  return failed != 0;
}

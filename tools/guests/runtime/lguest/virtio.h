/*
 * The lguest runtime's virtio driver: what the virtio-* programs in programs/lguest/ use to find and
 * drive the Launcher's devices on the lguest bus (spec §9, §10), in the order a Linux guest does it
 * (§14.4, §14.8). The device page is the first page above RAM, whose size the boot page's e820 map
 * gives (§8.1); each descriptor names its virtqueues (num, irq, pfn of a vring laid out with align
 * 4096, §9.4). Status and feature negotiation (§9.2): reset (status 0 + NOTIFY of the descriptor),
 * ACKNOWLEDGE, then ACKNOWLEDGE|DRIVER with the accepted bitmap + NOTIFY, then DRIVER_OK (silent).
 * Kicks are NOTIFY(vring gpa) unless the device set NO_NOTIFY (§9.3); completions come as IRQ
 * 0x20+irq through an interrupt gate of the Host-test kit's IDT (hosttest.h), and the driver waits
 * for them with HALT, interrupts "off", exactly as Linux's idle loop does (§6.8).
 *
 * The console also gives the programs their output: vio_printf goes to the virtio console's transmit
 * queue once it is up (one buffer per call, then a spin with interrupts off until the Host has used
 * it, §9.5), and to the early console (lg_printf, §9.6) before. Implemented in virtio.c.
 */
#ifndef GUESTS_LGUEST_VIRTIO_H
#define GUESTS_LGUEST_VIRTIO_H

#include <stdint.h>

#include "lguest.h"

/* Device IDs (§9.1). */
#define VIO_ID_NET 1
#define VIO_ID_BLOCK 2
#define VIO_ID_CONSOLE 3
#define VIO_ID_RNG 4

/* Status bits (§9.2). */
#define VIO_S_ACKNOWLEDGE 1
#define VIO_S_DRIVER 2
#define VIO_S_DRIVER_OK 4
#define VIO_S_FAILED 0x80

/* Descriptor flags, ring flags (§9.4). */
#define VIO_DESC_F_NEXT 1
#define VIO_DESC_F_WRITE 2
#define VIO_AVAIL_F_NO_INTERRUPT 1
#define VIO_USED_F_NO_NOTIFY 1
#define VIO_VRING_ALIGN 4096

/* Console queues (§9.5). */
#define VIO_CONSOLE_RX 0
#define VIO_CONSOLE_TX 1

/* Block requests, status and features (§9.5). */
#define VIO_BLK_T_IN 0
#define VIO_BLK_T_OUT 1
#define VIO_BLK_T_FLUSH 4
#define VIO_BLK_T_GET_ID 8
#define VIO_BLK_S_OK 0
#define VIO_BLK_S_IOERR 1
#define VIO_BLK_S_UNSUPP 2
#define VIO_BLK_F_SEG_MAX 2
#define VIO_BLK_F_RO 5
#define VIO_BLK_F_FLUSH 9
#define VIO_BLK_SECTOR 512
#define VIO_BLK_ID_BYTES 20

/* The device page lies right above RAM and is one page (§9.1); at most this many devices are kept. */
#define VIO_DEVICE_PAGE_SIZE 4096
#define VIO_MAX_DEVICES 16
#define VIO_MAX_QUEUES 4
/* The first virtual IRQ's vector (§6.1). */
#define VIO_IRQ_VECTOR 0x20

/* One vring descriptor (§9.4): 16 bytes. */
struct vio_desc {
  uint32_t addr_lo, addr_hi;
  uint32_t len;
  uint16_t flags, next;
};
_Static_assert(sizeof(struct vio_desc) == 16, "vring descriptor is 16 bytes");

/* One used-ring element (§9.4). */
struct vio_used_elem {
  uint32_t id, len;
};

/* A virtqueue as the driver keeps it: where the Host put the vring, and the driver's own indices.
   The free descriptors form a list threaded through `next` (the Host never writes the table). */
struct vio_queue {
  uint32_t num, irq, gpa;
  volatile struct vio_desc *desc;
  volatile uint16_t *avail; /* flags, idx, ring[num], used_event */
  volatile uint16_t *used;  /* flags, idx, then the elements */
  volatile struct vio_used_elem *used_ring;
  uint16_t avail_idx;  /* the next avail.idx the driver publishes */
  uint16_t last_used;  /* the used index the driver has consumed up to */
  uint16_t free_head;  /* first free descriptor */
  uint16_t num_free;
  uint32_t kicks;      /* NOTIFYs sent */
  uint32_t skipped;    /* kicks left out because the device set NO_NOTIFY */
};

/* One device descriptor on the device page (§9.1), with pointers into the page (gva = gpa). */
struct vio_device {
  uint32_t gpa; /* the descriptor's gpa: the NOTIFY value of a status change */
  uint8_t type, num_vq, feature_len, config_len;
  volatile uint8_t *status;
  volatile uint8_t *vqconfig; /* num_vq × {u16 num, u16 irq, u32 pfn}, possibly unaligned */
  volatile uint8_t *offered;
  volatile uint8_t *accepted;
  volatile uint8_t *config;
  uint32_t features;   /* the first 32 offered bits */
  uint32_t negotiated; /* the bits vio_finalize accepted */
  struct vio_queue queues[VIO_MAX_QUEUES];
};

/* One buffer of a request: gpa, length, and whether the device writes it. */
struct vio_buf {
  uint32_t addr, len;
  int writable;
};

/* What vio_scan found: RAM size from e820 (0 when there was no map), the device page and its devices. */
extern uint32_t vio_ram_size;
extern uint32_t vio_device_page;
extern unsigned vio_device_count;
extern struct vio_device vio_devices[VIO_MAX_DEVICES];

/* Makes LGUEST_INIT with the kit's iret window as noirq_start/noirq_end (§3.5, §6.3), as Linux does.
   For a program that defines `const char lg_manual_init = 1;`. */
void vio_lguest_init(void);

/* The bus scan (§9.1, §14.4 step 19): reads the e820 map from boot_params (§8.1), walks the device
   page, fills vio_devices, and resets and acknowledges every device in descriptor order. Returns the
   number of devices, or -1 when there is no e820 map. */
int vio_scan(void);
/* The first device of `type`, or 0. */
struct vio_device *vio_find(unsigned type);
/* A device's name for messages ("console", "block", …). */
const char *vio_type_name(unsigned type);

/* The bus scan's part (§14.4 step 19): status 0 + NOTIFY (reset), then ACKNOWLEDGE (silent). */
void vio_reset(struct vio_device *dev);
/* Binding a driver (§9.2): every virtqueue read from the descriptor, status ACKNOWLEDGE|DRIVER, the
   accepted bitmap (wanted & offered, kept in dev->negotiated), NOTIFY of the descriptor (the Host
   starts the device now). Returns 0, or -1 after setting FAILED (+ NOTIFY) when a queue is unusable. */
int vio_finalize(struct vio_device *dev, uint32_t wanted);
/* DRIVER_OK, stored silently (§9.2). */
void vio_driver_ok(struct vio_device *dev);

/* Posts a chain (readable buffers first, then writable ones) on the avail ring and returns its head,
   or -1 when too few descriptors are free. Does not kick. */
int vio_post(struct vio_queue *q, const struct vio_buf *bufs, unsigned count);
/* Kicks the queue (NOTIFY of the vring's gpa) unless the device set NO_NOTIFY (§9.3). */
void vio_kick(struct vio_queue *q);
/* Takes the next used element: returns its head (its descriptors are free again) and stores the
   length the device reported, or returns -1 when the used ring has nothing new. */
int vio_get_used(struct vio_queue *q, uint32_t *len);
/* True when the used ring holds an element the driver has not taken. */
int vio_has_used(const struct vio_queue *q);

/* Interrupts for a queue: an interrupt gate at vector 0x20+irq (LOAD_IDT_ENTRY), the line unblocked
   in lguest_data.blocked_interrupts. */
void vio_irq_enable(const struct vio_queue *q);
/* Interrupts delivered per IRQ line since the start. */
extern volatile uint32_t vio_irq_count[32];
/* Waits for the queue's used ring to move: with irq_enabled 0, checks it and HALTs until an IRQ comes
   (§6.8), as Linux's idle loop does; the delivery turns interrupts back on. Returns with irq_enabled
   0x200. Gives up (returns 0) after `max_halts` wake-ups without progress; 1 when something is used. */
int vio_wait_used(struct vio_queue *q, uint32_t max_halts);

/* The virtio console (§9.5, §14.4 step 20): status 3 + NOTIFY (no features), the receive queue's
   interrupt gate, `rx_buffers` receive buffers of `rx_size` bytes carved from `rx_pool` posted with a
   kick each (unless NO_NOTIFY), DRIVER_OK. The transmit queue gets NO_INTERRUPT (the driver spins on
   it instead). From then on vio_printf goes through the transmit queue. Returns 0, or -1 when there is
   no usable console (output stays on the early console). Call vio_scan first. */
int vio_console_open(char *rx_pool, unsigned rx_buffers, uint32_t rx_size);
/* The console device once open (0 before). */
extern struct vio_device *vio_console;
/* Writes `len` bytes as one transmit buffer and spins, interrupts off, until the Host used it. */
void vio_write(const char *s, uint32_t len);
/* Output for programs: the virtio console once open, else the early console. */
void vio_print(const char *s);
int vio_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Takes the next filled receive buffer: copies at most `size` bytes into `dst`, re-posts the buffer
   (and kicks), returns the byte count; -1 when nothing was received. */
int vio_console_read(char *dst, uint32_t size);

/* One block request (§9.5): the 16-byte header (out), `len` bytes of data at `data` split into
   segments of at most `seg` bytes (out for OUT, in otherwise; none when len is 0), the status byte
   (in). Posted, kicked, and waited for by IRQ (HALT). Returns the status byte (VIO_BLK_S_*), or -1
   when the request could not be posted or never completed; *used_len gets the device's length. */
int vio_blk_request(struct vio_queue *q, uint32_t type, uint32_t sector, void *data, uint32_t len, uint32_t seg,
                    uint32_t *used_len);

/* Result lines, like the Host-test kit's but through vio_printf: "ok <what>" or "FAIL <what>…". */
void vio_check(int ok, const char *what);
void vio_check_u32(const char *what, uint32_t got, uint32_t want);
/* "<program>: N passed, M failed" and the status for main: 0 iff nothing failed. */
int vio_summary(const char *program);

/* A full memory barrier (a locked add), between publishing avail.idx and reading used.flags, as
   Linux's virtio_mb. */
static inline void vio_mb(void) {
  __asm__ volatile("lock; addl $0, (%%esp)" : : : "memory", "cc");
}

#endif

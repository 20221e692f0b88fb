/**
 * Legacy virtio as the lguest bus speaks it: device IDs, status bits and transport feature bits
 * (spec §9.1–§9.3, §9.5).
 *
 * The Launcher's devices put the ID in their device descriptor and offer feature bits; the guest
 * writes status bits into the descriptor. The per-device feature bits are in `virtio-console.ts`,
 * `virtio-block.ts` and `virtio-net.ts`; the ring flags are in `vring.ts`.
 */

/** Network card (§9.1). */
export const VIRTIO_ID_NET = 1;
/** Block device (§9.1). */
export const VIRTIO_ID_BLOCK = 2;
/** Console (§9.1). */
export const VIRTIO_ID_CONSOLE = 3;
/** Entropy source (§9.1). */
export const VIRTIO_ID_RNG = 4;
/** Memory balloon (§9.1). */
export const VIRTIO_ID_BALLOON = 5;
/** rpmsg (§9.1). */
export const VIRTIO_ID_RPMSG = 7;
/** SCSI host (§9.1). */
export const VIRTIO_ID_SCSI = 8;
/** 9P transport (§9.1). */
export const VIRTIO_ID_9P = 9;
/** remoteproc serial (§9.1). */
export const VIRTIO_ID_RPROC_SERIAL = 11;
/** CAIF (§9.1). */
export const VIRTIO_ID_CAIF = 12;

/** The guest has seen the device (§9.2). */
export const VIRTIO_CONFIG_S_ACKNOWLEDGE = 1;
/** The guest has a driver for it (§9.2). */
export const VIRTIO_CONFIG_S_DRIVER = 2;
/** The driver is ready; stored silently, never notified (§9.2). */
export const VIRTIO_CONFIG_S_DRIVER_OK = 4;
/** The driver gave up on the device (notified) (§9.2). */
export const VIRTIO_CONFIG_S_FAILED = 0x80;

/** Transport bit: interrupt even with NO_INTERRUPT when the avail ring runs empty (§9.5). */
export const VIRTIO_F_NOTIFY_ON_EMPTY = 24;
/** Transport bit 27, counted as a device bit: header and data may share descriptors (3.11+) (§9.1, §9.5). */
export const VIRTIO_F_ANY_LAYOUT = 27;
/** Transport bit: descriptors may point at indirect tables (§9.1, §9.4). */
export const VIRTIO_RING_F_INDIRECT_DESC = 28;
/** Transport bit: `used_event`/`avail_event` suppression (§9.1, §9.4). */
export const VIRTIO_RING_F_EVENT_IDX = 29;
/** First transport feature bit; of 28–31 only INDIRECT_DESC and EVENT_IDX survive finalize (§9.1). */
export const VIRTIO_TRANSPORT_F_START = 28;
/** One past the last transport feature bit (§9.1). */
export const VIRTIO_TRANSPORT_F_END = 32;

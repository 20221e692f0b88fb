/**
 * The virtio network card (spec §9.5 "Net", §10.4).
 *
 * Queue 0 receives, queue 1 transmits, and with CTRL_VQ a control queue follows. Every packet
 * starts with a `virtio_net_hdr` (10 bytes, 12 with MRG_RXBUF). The net device decodes headers and
 * fills its config space with these numbers and views.
 */
import type { FieldLayout } from './layout.js';
import { GuestStructView } from './view.js';

/** Receive queue (§9.5). */
export const VIRTIO_NET_RX_QUEUE = 0;
/** Transmit queue (§9.5). */
export const VIRTIO_NET_TX_QUEUE = 1;
/** Control queue, present with CTRL_VQ (§9.5). */
export const VIRTIO_NET_CTRL_QUEUE = 2;

/** `virtio_net_hdr` (§9.5). */
export const VIRTIO_NET_HDR_LAYOUT = {
  flags: { offset: 0, size: 1 },
  gsoType: { offset: 1, size: 1 },
  hdrLen: { offset: 2, size: 2 },
  gsoSize: { offset: 4, size: 2 },
  csumStart: { offset: 6, size: 2 },
  csumOffset: { offset: 8, size: 2 },
  /** Present only with MRG_RXBUF. */
  numBuffers: { offset: 10, size: 2 },
} as const satisfies Record<string, FieldLayout>;
/** Bytes of `virtio_net_hdr` (§9.5). */
export const VIRTIO_NET_HDR_SIZE = 10;
/** Bytes of the header with MRG_RXBUF (`num_buffers` appended) (§9.5). */
export const VIRTIO_NET_HDR_MRG_RXBUF_SIZE = 12;

/** Header flag: the checksum still has to be computed (§9.5). */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
/** Header flag: the checksum has been verified (§9.5). */
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
/** GSO type: none (§9.5). */
export const VIRTIO_NET_HDR_GSO_NONE = 0;
/** GSO type: TCPv4 (§9.5). */
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
/** GSO type: UDP (§9.5). */
export const VIRTIO_NET_HDR_GSO_UDP = 3;
/** GSO type: TCPv6 (§9.5). */
export const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
/** GSO type flag: ECN (§9.5). */
export const VIRTIO_NET_HDR_GSO_ECN = 0x80;

/** The net config (§9.5). */
export const VIRTIO_NET_CONFIG_LAYOUT = {
  mac: { offset: 0, size: 6 },
  status: { offset: 6, size: 2 },
  maxVirtqueuePairs: { offset: 8, size: 2 },
} as const satisfies Record<string, FieldLayout>;
/** Bytes of the net config, and the reference Launcher's net `config_len` (§9.5, §10.4). */
export const VIRTIO_NET_CONFIG_SIZE = 10;
/** Bytes of a MAC address. */
export const ETH_ALEN = 6;
/** The reference Launcher's net `feature_len` (§10.4). */
export const LAUNCHER_NET_FEATURE_LEN = 4;

/** Feature 0: the host handles partial checksums (§9.5). */
export const VIRTIO_NET_F_CSUM = 0;
/** Feature 1: the guest handles partial checksums (§9.5). */
export const VIRTIO_NET_F_GUEST_CSUM = 1;
/** Feature 5: `mac` in config is valid (§9.5). */
export const VIRTIO_NET_F_MAC = 5;
/** Feature 6: any GSO type (§9.5). */
export const VIRTIO_NET_F_GSO = 6;
/** Feature 7: the guest takes TSOv4 (§9.5). */
export const VIRTIO_NET_F_GUEST_TSO4 = 7;
/** Feature 8: the guest takes TSOv6 (§9.5). */
export const VIRTIO_NET_F_GUEST_TSO6 = 8;
/** Feature 9: the guest takes TSO with ECN (§9.5). */
export const VIRTIO_NET_F_GUEST_ECN = 9;
/** Feature 10: the guest takes UFO (§9.5). */
export const VIRTIO_NET_F_GUEST_UFO = 10;
/** Feature 11: the host takes TSOv4 (§9.5). */
export const VIRTIO_NET_F_HOST_TSO4 = 11;
/** Feature 12: the host takes TSOv6 (§9.5). */
export const VIRTIO_NET_F_HOST_TSO6 = 12;
/** Feature 13: the host takes TSO with ECN (§9.5). */
export const VIRTIO_NET_F_HOST_ECN = 13;
/** Feature 14: the host takes UFO (§9.5). */
export const VIRTIO_NET_F_HOST_UFO = 14;
/** Feature 15: mergeable receive buffers; 12-byte header (§9.5). */
export const VIRTIO_NET_F_MRG_RXBUF = 15;
/** Feature 16: `status` in config is valid (§9.5). */
export const VIRTIO_NET_F_STATUS = 16;
/** Feature 17: a control queue follows receive and transmit (§9.5). */
export const VIRTIO_NET_F_CTRL_VQ = 17;
/** Feature 18: receive-mode control (§9.5). */
export const VIRTIO_NET_F_CTRL_RX = 18;
/** Feature 19: VLAN filtering control (§9.5). */
export const VIRTIO_NET_F_CTRL_VLAN = 19;
/** Feature 20: extra receive-mode control (never accepted) (§9.5). */
export const VIRTIO_NET_F_CTRL_RX_EXTRA = 20;
/** Feature 21: the guest can announce itself (§9.5). */
export const VIRTIO_NET_F_GUEST_ANNOUNCE = 21;
/** Feature 22: multiqueue, `max_virtqueue_pairs` in config (§9.5). */
export const VIRTIO_NET_F_MQ = 22;
/** Feature 23: MAC address set through the control queue (§9.5). */
export const VIRTIO_NET_F_CTRL_MAC_ADDR = 23;

/** Receive buffers without MRG_RXBUF or big packets: header, then a 1518-byte frame (§9.5). */
export const VIRTIO_NET_SMALL_FRAME_SIZE = 1518;
/** Segments of a "big" receive buffer: header, 4080 bytes, 17 pages (§9.5). */
export const VIRTIO_NET_BIG_SEGMENTS = 19;

/** A zero-copy view of a `virtio_net_hdr` (10 bytes; `numBuffers` only with MRG_RXBUF). */
export class VirtioNetHdrView extends GuestStructView {
  get size(): number {
    return VIRTIO_NET_HDR_SIZE;
  }
  /** Reads `flags`. */
  flags(): number {
    return this.memory.read8(this.gpa);
  }
  /** Writes `flags`; false if the write was dropped. */
  setFlags(value: number): boolean {
    return this.memory.write8(this.gpa, value);
  }
  /** Reads `gso_type`. */
  gsoType(): number {
    return this.memory.read8(this.gpa + 1);
  }
  /** Writes `gso_type`; false if the write was dropped. */
  setGsoType(value: number): boolean {
    return this.memory.write8(this.gpa + 1, value);
  }
  /** Reads `hdr_len`. */
  hdrLen(): number {
    return this.memory.read16(this.gpa + 2);
  }
  /** Writes `hdr_len`; false if the write was dropped. */
  setHdrLen(value: number): boolean {
    return this.memory.write16(this.gpa + 2, value);
  }
  /** Reads `gso_size`. */
  gsoSize(): number {
    return this.memory.read16(this.gpa + 4);
  }
  /** Writes `gso_size`; false if the write was dropped. */
  setGsoSize(value: number): boolean {
    return this.memory.write16(this.gpa + 4, value);
  }
  /** Reads `csum_start`. */
  csumStart(): number {
    return this.memory.read16(this.gpa + 6);
  }
  /** Writes `csum_start`; false if the write was dropped. */
  setCsumStart(value: number): boolean {
    return this.memory.write16(this.gpa + 6, value);
  }
  /** Reads `csum_offset`. */
  csumOffset(): number {
    return this.memory.read16(this.gpa + 8);
  }
  /** Writes `csum_offset`; false if the write was dropped. */
  setCsumOffset(value: number): boolean {
    return this.memory.write16(this.gpa + 8, value);
  }
  /** Reads `num_buffers`. */
  numBuffers(): number {
    return this.memory.read16(this.gpa + 10);
  }
  /** Writes `num_buffers`; false if the write was dropped. */
  setNumBuffers(value: number): boolean {
    return this.memory.write16(this.gpa + 10, value);
  }
}

/** A zero-copy view of a net config space. */
export class VirtioNetConfigView extends GuestStructView {
  get size(): number {
    return VIRTIO_NET_CONFIG_SIZE;
  }
  /** Byte `i` (0–5) of the MAC address. */
  mac(i: number): number {
    if (!(i >= 0 && i < ETH_ALEN)) throw new RangeError(`MAC byte ${i} is not in 0..5`);
    return this.memory.read8(this.gpa + i);
  }
  /** Writes the 6-byte MAC address. */
  setMac(mac: Uint8Array): boolean {
    if (mac.length !== ETH_ALEN) throw new RangeError(`a MAC address has 6 bytes, not ${mac.length}`);
    return this.memory.copyIn(this.gpa, mac);
  }
  /** Reads `status`. */
  status(): number {
    return this.memory.read16(this.gpa + 6);
  }
  /** Writes `status`; false if the write was dropped. */
  setStatus(value: number): boolean {
    return this.memory.write16(this.gpa + 6, value);
  }
  /** Reads `max_virtqueue_pairs`. */
  maxVirtqueuePairs(): number {
    return this.memory.read16(this.gpa + 8);
  }
  /** Writes `max_virtqueue_pairs`; false if the write was dropped. */
  setMaxVirtqueuePairs(value: number): boolean {
    return this.memory.write16(this.gpa + 8, value);
  }
}

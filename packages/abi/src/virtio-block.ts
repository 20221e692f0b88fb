/**
 * The virtio block device (spec §9.5 "Block", §10.4).
 *
 * One queue. Each request is a chain: a 16-byte header the device reads, the data, and one status
 * byte the device writes. The block device decodes requests with these numbers and fills its config
 * space through {@link VirtioBlkConfigView}.
 */
import type { FieldLayout } from './layout.js';
import { GuestStructView } from './view.js';

/** Bytes per sector; `sector` in a request counts these (§9.5). */
export const VIRTIO_BLK_SECTOR_SIZE = 512;

/** Request header (§9.5). */
export const VIRTIO_BLK_REQ_LAYOUT = {
  type: { offset: 0, size: 4 },
  ioprio: { offset: 4, size: 4 },
  sector: { offset: 8, size: 8 },
} as const satisfies Record<string, FieldLayout>;
/** Bytes of the request header (§9.5, §10.4). */
export const VIRTIO_BLK_REQ_HEADER_SIZE = 16;
/** Bytes of the status byte that ends each request (§9.5). */
export const VIRTIO_BLK_STATUS_SIZE = 1;

/** Request type: read (§9.5). */
export const VIRTIO_BLK_T_IN = 0;
/** Request type: write (§9.5). */
export const VIRTIO_BLK_T_OUT = 1;
/** Request type: SCSI command (answered UNSUPP) (§9.5, §10.4). */
export const VIRTIO_BLK_T_SCSI_CMD = 2;
/** Request type: flush (§9.5). */
export const VIRTIO_BLK_T_FLUSH = 4;
/** Request type: device ID string (§9.5). */
export const VIRTIO_BLK_T_GET_ID = 8;
/** Request type flag: barrier (§9.5). */
export const VIRTIO_BLK_T_BARRIER = 0x8000_0000;
/** Bytes of the GET_ID answer (§9.5). */
export const VIRTIO_BLK_ID_BYTES = 20;

/** Status: success (§9.5). */
export const VIRTIO_BLK_S_OK = 0;
/** Status: I/O error (§9.5). */
export const VIRTIO_BLK_S_IOERR = 1;
/** Status: unsupported request (§9.5). */
export const VIRTIO_BLK_S_UNSUPP = 2;

/** Feature 0: barriers (no driver accepts it) (§9.5). */
export const VIRTIO_BLK_F_BARRIER = 0;
/** Feature 1: `size_max` is valid (§9.5). */
export const VIRTIO_BLK_F_SIZE_MAX = 1;
/** Feature 2: `seg_max` is valid; offered by the reference Launcher (§9.5, §10.4). */
export const VIRTIO_BLK_F_SEG_MAX = 2;
/** Feature 4: the geometry fields are valid (§9.5). */
export const VIRTIO_BLK_F_GEOMETRY = 4;
/** Feature 5: the disk is read-only (§9.5). */
export const VIRTIO_BLK_F_RO = 5;
/** Feature 6: `blk_size` is valid (§9.5). */
export const VIRTIO_BLK_F_BLK_SIZE = 6;
/** Feature 7: SCSI command pass-through (§9.5). */
export const VIRTIO_BLK_F_SCSI = 7;
/** Flush supported (also known as WCE) (§9.5). */
export const VIRTIO_BLK_F_FLUSH = 9;
/** Feature 10: the topology fields are valid (§9.5). */
export const VIRTIO_BLK_F_TOPOLOGY = 10;
/** Feature 11: `wce` is writable (§9.5). */
export const VIRTIO_BLK_F_CONFIG_WCE = 11;
/** 3.18+: one request queue per virtqueue, `num_queues` in config (§9.5). */
export const VIRTIO_BLK_F_MQ = 12;

/** The block config, packed (§9.5). */
export const VIRTIO_BLK_CONFIG_LAYOUT = {
  capacity: { offset: 0, size: 8 },
  sizeMax: { offset: 8, size: 4 },
  segMax: { offset: 12, size: 4 },
  cylinders: { offset: 16, size: 2 },
  heads: { offset: 18, size: 1 },
  sectors: { offset: 19, size: 1 },
  blkSize: { offset: 20, size: 4 },
  physicalBlockExp: { offset: 24, size: 1 },
  alignmentOffset: { offset: 25, size: 1 },
  minIoSize: { offset: 26, size: 2 },
  optIoSize: { offset: 28, size: 4 },
  wce: { offset: 32, size: 1 },
  unused: { offset: 33, size: 1 },
  numQueues: { offset: 34, size: 2 },
} as const satisfies Record<string, FieldLayout>;
/** Bytes of the full block config including the 3.18 MQ fields. */
export const VIRTIO_BLK_CONFIG_SIZE = 36;

/** The reference Launcher's block `config_len`: capacity, size_max, seg_max (§10.4). */
export const LAUNCHER_BLOCK_CONFIG_LEN = 16;
/** The reference Launcher's block `feature_len` (§10.4). */
export const LAUNCHER_BLOCK_FEATURE_LEN = 2;
/** The reference Launcher's `seg_max` (§10.4). */
export const LAUNCHER_BLOCK_SEG_MAX = 254;

/** A zero-copy view of a block config space. */
export class VirtioBlkConfigView extends GuestStructView {
  get size(): number {
    return VIRTIO_BLK_CONFIG_SIZE;
  }
  /** Capacity in 512-byte sectors. */
  capacity(): bigint {
    return this.memory.read64(this.gpa);
  }
  /** Writes `capacity`; false if the write was dropped. */
  setCapacity(sectors: bigint): boolean {
    return this.memory.write64(this.gpa, sectors);
  }
  /** Reads `size_max`. */
  sizeMax(): number {
    return this.memory.read32(this.gpa + 8);
  }
  /** Writes `size_max`; false if the write was dropped. */
  setSizeMax(value: number): boolean {
    return this.memory.write32(this.gpa + 8, value);
  }
  /** Reads `seg_max`. */
  segMax(): number {
    return this.memory.read32(this.gpa + 12);
  }
  /** Writes `seg_max`; false if the write was dropped. */
  setSegMax(value: number): boolean {
    return this.memory.write32(this.gpa + 12, value);
  }
  /** Reads `cylinders`. */
  cylinders(): number {
    return this.memory.read16(this.gpa + 16);
  }
  /** Reads `heads`. */
  heads(): number {
    return this.memory.read8(this.gpa + 18);
  }
  /** Reads `sectors`. */
  sectors(): number {
    return this.memory.read8(this.gpa + 19);
  }
  /** Writes `cylinders`, `heads` and `sectors`; false if a write was dropped. */
  setGeometry(cylinders: number, heads: number, sectors: number): boolean {
    const a = this.memory.write16(this.gpa + 16, cylinders);
    const b = this.memory.write8(this.gpa + 18, heads);
    const c = this.memory.write8(this.gpa + 19, sectors);
    return a && b && c;
  }
  /** Reads `blk_size`. */
  blkSize(): number {
    return this.memory.read32(this.gpa + 20);
  }
  /** Writes `blk_size`; false if the write was dropped. */
  setBlkSize(value: number): boolean {
    return this.memory.write32(this.gpa + 20, value);
  }
  /** Reads `physical_block_exp`. */
  physicalBlockExp(): number {
    return this.memory.read8(this.gpa + 24);
  }
  /** Reads `alignment_offset`. */
  alignmentOffset(): number {
    return this.memory.read8(this.gpa + 25);
  }
  /** Reads `min_io_size`. */
  minIoSize(): number {
    return this.memory.read16(this.gpa + 26);
  }
  /** Reads `opt_io_size`. */
  optIoSize(): number {
    return this.memory.read32(this.gpa + 28);
  }
  /** Writes the four topology fields; false if a write was dropped. */
  setTopology(
    physicalBlockExp: number,
    alignmentOffset: number,
    minIoSize: number,
    optIoSize: number,
  ): boolean {
    const a = this.memory.write8(this.gpa + 24, physicalBlockExp);
    const b = this.memory.write8(this.gpa + 25, alignmentOffset);
    const c = this.memory.write16(this.gpa + 26, minIoSize);
    const d = this.memory.write32(this.gpa + 28, optIoSize);
    return a && b && c && d;
  }
  /** Reads `wce`. */
  wce(): number {
    return this.memory.read8(this.gpa + 32);
  }
  /** Writes `wce`; false if the write was dropped. */
  setWce(value: number): boolean {
    return this.memory.write8(this.gpa + 32, value);
  }
  /** Reads `num_queues`. */
  numQueues(): number {
    return this.memory.read16(this.gpa + 34);
  }
  /** Writes `num_queues`; false if the write was dropped. */
  setNumQueues(value: number): boolean {
    return this.memory.write16(this.gpa + 34, value);
  }
}

/**
 * A zero-copy view of a request header. The header may arrive split across descriptors; a device
 * that gathers it can copy the 16 bytes into a small scratch `GuestMemory` and view that.
 */
export class VirtioBlkReqView extends GuestStructView {
  get size(): number {
    return VIRTIO_BLK_REQ_HEADER_SIZE;
  }
  /** Reads the request `type`. */
  type(): number {
    return this.memory.read32(this.gpa);
  }
  /** Reads `ioprio`. */
  ioprio(): number {
    return this.memory.read32(this.gpa + 4);
  }
  /** Reads the request's first `sector`. */
  sector(): bigint {
    return this.memory.read64(this.gpa + 8);
  }
  /** Writes the header (the guest's side). */
  set(type: number, ioprio: number, sector: bigint): boolean {
    const a = this.memory.write32(this.gpa, type);
    const b = this.memory.write32(this.gpa + 4, ioprio);
    const c = this.memory.write64(this.gpa + 8, sector);
    return a && b && c;
  }
}

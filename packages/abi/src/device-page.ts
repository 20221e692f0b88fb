/**
 * The lguest bus: the device page and its descriptors (spec §9.1, §9.2, §10.1).
 *
 * The Launcher describes every device on one page right above guest RAM: descriptors packed back to
 * back (no padding, possibly unaligned), each a 5-byte header, one `lguest_vqconfig` per virtqueue,
 * the offered and accepted feature bitmaps, and the device's config space. The guest walks the page
 * from offset 0 until a type of 0. The Launcher builds descriptors and the devices read the status
 * and accepted features back through {@link DeviceDescView}.
 *
 * The page is guest memory: a hostile guest can overwrite any of it, including the header fields
 * the Launcher wrote. Keep the host's own copy of `num_vq`, `feature_len` and `config_len`, and read
 * only the guest-written fields (status, accepted features, config) back from memory.
 */
import type { FieldLayout } from './layout.js';
import { GuestStructView } from './view.js';

/** Bytes of the device page (§9.1). */
export const DEVICE_PAGE_SIZE = 4096;

/** The fixed header of a device descriptor (§9.1). */
export const LGUEST_DEVICE_DESC_LAYOUT = {
  /** Virtio device ID; 0 ends the list. */
  type: { offset: 0, size: 1 },
  /** Number of virtqueues. */
  numVq: { offset: 1, size: 1 },
  /** Bytes per feature bitmap. */
  featureLen: { offset: 2, size: 1 },
  /** Bytes of device config. */
  configLen: { offset: 3, size: 1 },
  /** Status, written by the guest. */
  status: { offset: 4, size: 1 },
} as const satisfies Record<string, FieldLayout>;
/** Bytes of the fixed descriptor header; the vqconfigs follow at this offset (§9.1). */
export const LGUEST_DEVICE_DESC_SIZE = 5;

/** One `lguest_vqconfig` (§9.1). */
export const LGUEST_VQCONFIG_LAYOUT = {
  /** Entries (a power of two). */
  num: { offset: 0, size: 2 },
  /** The virtual IRQ line of the queue. */
  irq: { offset: 2, size: 2 },
  /** pfn of the vring. */
  pfn: { offset: 4, size: 4 },
} as const satisfies Record<string, FieldLayout>;
/** Bytes of one `lguest_vqconfig` (§9.1). */
export const LGUEST_VQCONFIG_SIZE = 8;

/** Feature bits the guest reads from the offered bitmap at most (§9.1). */
export const LGUEST_MAX_FEATURE_BITS = 32;

/** Offset of vqconfig `i` within a descriptor: `5 + 8·i` (§9.1). */
export function deviceVqOffset(i: number): number {
  return LGUEST_DEVICE_DESC_SIZE + LGUEST_VQCONFIG_SIZE * i;
}
/** Offset of the offered-feature bitmap: `5 + 8·num_vq` (§9.1). */
export function deviceFeaturesOffset(numVq: number): number {
  return deviceVqOffset(numVq);
}
/** Offset of the accepted-feature bitmap: after the offered one (§9.1). */
export function deviceAcceptedOffset(numVq: number, featureLen: number): number {
  return deviceVqOffset(numVq) + featureLen;
}
/** Offset of the device config: after both bitmaps (§9.1). */
export function deviceConfigOffset(numVq: number, featureLen: number): number {
  return deviceVqOffset(numVq) + 2 * featureLen;
}
/** Bytes of a descriptor: `5 + 8·num_vq + 2·feature_len + config_len` (§9.1). */
export function deviceDescSize(numVq: number, featureLen: number, configLen: number): number {
  return deviceConfigOffset(numVq, featureLen) + configLen;
}

/** Byte of a feature bitmap that holds bit `bit`: `bit / 8` (§9.1). */
export function featureByte(bit: number): number {
  return bit >>> 3;
}
/** Mask of bit `bit` inside its byte: `1 << (bit % 8)` (§9.1). */
export function featureMask(bit: number): number {
  return 1 << (bit & 7);
}

/**
 * A zero-copy view of one device descriptor. The header fields are read from guest memory each
 * time; see the file comment before trusting them. Offsets past the header are computed from the
 * header as it reads now.
 */
export class DeviceDescView extends GuestStructView {
  get size(): number {
    return deviceDescSize(this.numVq(), this.featureLen(), this.configLen());
  }

  /** Reads `type`. */
  type(): number {
    return this.memory.read8(this.gpa);
  }
  /** Writes `type`; false if the write was dropped. */
  setType(value: number): boolean {
    return this.memory.write8(this.gpa, value);
  }
  /** Reads `num_vq`. */
  numVq(): number {
    return this.memory.read8(this.gpa + 1);
  }
  /** Writes `num_vq`; false if the write was dropped. */
  setNumVq(value: number): boolean {
    return this.memory.write8(this.gpa + 1, value);
  }
  /** Reads `feature_len`. */
  featureLen(): number {
    return this.memory.read8(this.gpa + 2);
  }
  /** Writes `feature_len`; false if the write was dropped. */
  setFeatureLen(value: number): boolean {
    return this.memory.write8(this.gpa + 2, value);
  }
  /** Reads `config_len`. */
  configLen(): number {
    return this.memory.read8(this.gpa + 3);
  }
  /** Writes `config_len`; false if the write was dropped. */
  setConfigLen(value: number): boolean {
    return this.memory.write8(this.gpa + 3, value);
  }
  /** Reads `status`. */
  status(): number {
    return this.memory.read8(this.gpa + 4);
  }
  /** Writes `status`; false if the write was dropped. */
  setStatus(value: number): boolean {
    return this.memory.write8(this.gpa + 4, value);
  }

  /** Writes the whole header: type, num_vq, feature_len, config_len, and status 0. */
  setHeader(type: number, numVq: number, featureLen: number, configLen: number): boolean {
    const a = this.setType(type);
    const b = this.setNumVq(numVq);
    const c = this.setFeatureLen(featureLen);
    const d = this.setConfigLen(configLen);
    const e = this.setStatus(0);
    return a && b && c && d && e;
  }

  /** Reads `num` of vqconfig `i`. */
  vqNum(i: number): number {
    return this.memory.read16(this.gpa + deviceVqOffset(i));
  }
  /** Reads `irq` of vqconfig `i`. */
  vqIrq(i: number): number {
    return this.memory.read16(this.gpa + deviceVqOffset(i) + 2);
  }
  /** Reads `pfn` of vqconfig `i`. */
  vqPfn(i: number): number {
    return this.memory.read32(this.gpa + deviceVqOffset(i) + 4);
  }
  /** Writes vqconfig `i`. */
  setVq(i: number, num: number, irq: number, pfn: number): boolean {
    const at = this.gpa + deviceVqOffset(i);
    const a = this.memory.write16(at, num);
    const b = this.memory.write16(at + 2, irq);
    const c = this.memory.write32(at + 4, pfn);
    return a && b && c;
  }

  /** gpa of the offered-feature bitmap. */
  featuresGpa(): number {
    return this.gpa + deviceFeaturesOffset(this.numVq());
  }
  /** gpa of the accepted-feature bitmap. */
  acceptedGpa(): number {
    return this.gpa + deviceAcceptedOffset(this.numVq(), this.featureLen());
  }
  /** gpa of the device config. */
  configGpa(): number {
    return this.gpa + deviceConfigOffset(this.numVq(), this.featureLen());
  }

  /** True when bit `bit` is set in the offered bitmap (bits beyond `feature_len` read as clear). */
  offered(bit: number): boolean {
    return this.#bit(this.featuresGpa(), bit);
  }
  /** Sets or clears bit `bit` of the offered bitmap; false when it lies beyond `feature_len`. */
  setOffered(bit: number, on: boolean): boolean {
    return this.#setBit(this.featuresGpa(), bit, on);
  }
  /** True when bit `bit` is set in the accepted bitmap (bits beyond `feature_len` read as clear). */
  accepted(bit: number): boolean {
    return this.#bit(this.acceptedGpa(), bit);
  }
  /** Sets or clears bit `bit` of the accepted bitmap (the guest's side). */
  setAccepted(bit: number, on: boolean): boolean {
    return this.#setBit(this.acceptedGpa(), bit, on);
  }
  /** The first 32 accepted bits as one word (bits beyond `feature_len` read as 0). */
  acceptedWord(): number {
    return this.#word(this.acceptedGpa());
  }
  /** The first 32 offered bits as one word (bits beyond `feature_len` read as 0). */
  offeredWord(): number {
    return this.#word(this.featuresGpa());
  }

  #bit(bitmap: number, bit: number): boolean {
    if (!(bit >= 0 && bit < this.featureLen() * 8)) return false;
    return (this.memory.read8(bitmap + featureByte(bit)) & featureMask(bit)) !== 0;
  }

  #setBit(bitmap: number, bit: number, on: boolean): boolean {
    if (!(bit >= 0 && bit < this.featureLen() * 8)) return false;
    const at = bitmap + featureByte(bit);
    const old = this.memory.read8(at);
    return this.memory.write8(at, on ? old | featureMask(bit) : old & ~featureMask(bit));
  }

  #word(bitmap: number): number {
    const len = Math.min(this.featureLen(), 4);
    let word = 0;
    for (let i = 0; i < len; i++) word |= this.memory.read8(bitmap + i) << (8 * i);
    return word >>> 0;
  }
}

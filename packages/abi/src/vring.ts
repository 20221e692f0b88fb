/**
 * The legacy vring: layout arithmetic and a zero-copy view (spec §9.4, §9.3).
 *
 * A vring of `num` entries at gpa P is a descriptor table (16 bytes per entry), the avail ring the
 * guest fills, and — at the next 4096-byte boundary — the used ring the device fills. The Launcher
 * uses the arithmetic to place vrings above RAM; the devices walk rings through {@link VringView}.
 */
import { LGUEST_VRING_ALIGN } from './constants.js';
import type { FieldLayout } from './layout.js';
import { roundUp } from './layout.js';
import type { GuestMemory } from './memory.js';
import { GuestStructView } from './view.js';

/** Bytes per descriptor (§9.4). */
export const VRING_DESC_SIZE = 16;
/** Fields of a descriptor (§9.4). */
export const VRING_DESC_LAYOUT = {
  /** Buffer gpa (u64; anything above 4 GiB is outside every guest). */
  addr: { offset: 0, size: 8 },
  len: { offset: 8, size: 4 },
  flags: { offset: 12, size: 2 },
  next: { offset: 14, size: 2 },
} as const satisfies Record<string, FieldLayout>;
/** Descriptor flag: the chain continues at `next` (§9.4). */
export const VRING_DESC_F_NEXT = 1;
/** Descriptor flag: the device writes this buffer ("in") (§9.4). */
export const VRING_DESC_F_WRITE = 2;
/** Descriptor flag: addr/len is a table of descriptors, len a multiple of 16 (§9.4). */
export const VRING_DESC_F_INDIRECT = 4;

/** Fixed fields at the start of the avail ring; `ring[num]` starts at 4 and `used_event` follows it (§9.4). */
export const VRING_AVAIL_LAYOUT = {
  flags: { offset: 0, size: 2 },
  idx: { offset: 2, size: 2 },
  ring: { offset: 4, size: 2 },
} as const satisfies Record<string, FieldLayout>;
/** Avail flag: the guest does not want completion interrupts (§9.3, §9.4). */
export const VRING_AVAIL_F_NO_INTERRUPT = 1;

/** Fixed fields at the start of the used ring; `ring[num]` of 8-byte elements starts at 4, `avail_event` follows (§9.4). */
export const VRING_USED_LAYOUT = {
  flags: { offset: 0, size: 2 },
  idx: { offset: 2, size: 2 },
  ring: { offset: 4, size: 8 },
} as const satisfies Record<string, FieldLayout>;
/** Used-ring element: `{u32 id, u32 len}` (§9.4). */
export const VRING_USED_ELEM_LAYOUT = {
  id: { offset: 0, size: 4 },
  len: { offset: 4, size: 4 },
} as const satisfies Record<string, FieldLayout>;
/** Bytes per used-ring element (§9.4). */
export const VRING_USED_ELEM_SIZE = 8;
/** Used flag: the device does not want kicks (§9.3, §9.4). */
export const VRING_USED_F_NO_NOTIFY = 1;

/** Offset of the avail ring from the vring's start: `16·num` (§9.4). */
export function vringAvailOffset(num: number): number {
  return VRING_DESC_SIZE * num;
}

/** Offset of `avail.used_event`: after `flags`, `idx` and `ring[num]` (§9.4). */
export function vringUsedEventOffset(num: number): number {
  return vringAvailOffset(num) + 4 + 2 * num;
}

/** Offset of the used ring: `round_up(16·num + 2·(3 + num), align)` (§9.4). */
export function vringUsedOffset(num: number, align: number = LGUEST_VRING_ALIGN): number {
  return roundUp(VRING_DESC_SIZE * num + 2 * (3 + num), align);
}

/** Offset of `used.avail_event`: after `flags`, `idx` and `ring[num]` (§9.4). */
export function vringAvailEventOffset(num: number, align: number = LGUEST_VRING_ALIGN): number {
  return vringUsedOffset(num, align) + 4 + VRING_USED_ELEM_SIZE * num;
}

/** Bytes of a vring: `round_up(16·num + 2·(3 + num), align) + 6 + 8·num` (§9.4; 10246 for num 256). */
export function vringSize(num: number, align: number = LGUEST_VRING_ALIGN): number {
  return vringUsedOffset(num, align) + 6 + VRING_USED_ELEM_SIZE * num;
}

/** Whole 4 KiB pages a vring occupies (3 for num 256) (§10.1). */
export function vringPages(num: number, align: number = LGUEST_VRING_ALIGN): number {
  return Math.ceil(vringSize(num, align) / 4096);
}

/**
 * The EVENT_IDX test: should the other side be told, now that the index moved from `oldIdx` to
 * `newIdx`, given its `event` index? `(u16)(new − event − 1) < (u16)(new − old)` (§9.4).
 */
export function vringNeedEvent(event: number, newIdx: number, oldIdx: number): boolean {
  return ((newIdx - event - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
}

const TWO_32 = 0x1_0000_0000;

/**
 * A zero-copy view of one vring with `num` entries (chosen by the host, not read from the guest).
 * Ring indices passed to the `*Ring*` methods are the free-running u16 indices; the view takes the
 * slot `index % num` itself. Descriptor indices come from the guest: the device must check them
 * against `num` before use (a bad one still only reads checked guest memory here).
 */
export class VringView extends GuestStructView {
  /** Entries in the ring. */
  readonly num: number;
  readonly #avail: number;
  readonly #used: number;

  constructor(memory: GuestMemory, gpa: number, num: number) {
    super(memory, gpa);
    if (!(Number.isInteger(num) && num > 0 && num <= 0x8000)) {
      throw new RangeError(`vring size ${num} must be an integer in 1..32768`);
    }
    this.num = num;
    this.#avail = vringAvailOffset(num);
    this.#used = vringUsedOffset(num);
  }

  get size(): number {
    return vringSize(this.num);
  }

  /** gpa of the avail ring. */
  get availGpa(): number {
    return this.gpa + this.#avail;
  }
  /** gpa of the used ring. */
  get usedGpa(): number {
    return this.gpa + this.#used;
  }

  /**
   * Descriptor `i`'s buffer address as an exact number: the low word plus the high word × 2^32.
   * Anything above 0xFFFFFFFF lies outside every guest; GuestMemory rejects it.
   */
  descAddr(i: number): number {
    const at = this.gpa + VRING_DESC_SIZE * i;
    return this.memory.read32(at) + this.memory.read32(at + 4) * TWO_32;
  }
  /** Reads `len` of descriptor `i`. */
  descLen(i: number): number {
    return this.memory.read32(this.gpa + VRING_DESC_SIZE * i + 8);
  }
  /** Reads `flags` of descriptor `i`. */
  descFlags(i: number): number {
    return this.memory.read16(this.gpa + VRING_DESC_SIZE * i + 12);
  }
  /** Reads `next` of descriptor `i`. */
  descNext(i: number): number {
    return this.memory.read16(this.gpa + VRING_DESC_SIZE * i + 14);
  }
  /** Writes descriptor `i` (the guest's side; tests and in-process drivers use it). `addr` must be below 2^53. */
  setDesc(i: number, addr: number, len: number, flags: number, next: number): boolean {
    const at = this.gpa + VRING_DESC_SIZE * i;
    const a = this.memory.write32(at, addr >>> 0);
    const b = this.memory.write32(at + 4, Math.floor(addr / TWO_32) >>> 0);
    const c = this.memory.write32(at + 8, len);
    const d = this.memory.write16(at + 12, flags);
    const e = this.memory.write16(at + 14, next);
    return a && b && c && d && e;
  }

  /** Reads `avail.flags`. */
  availFlags(): number {
    return this.memory.read16(this.gpa + this.#avail);
  }
  /** Writes `avail.flags`; false if the write was dropped. */
  setAvailFlags(value: number): boolean {
    return this.memory.write16(this.gpa + this.#avail, value);
  }
  /** Reads `avail.idx`. */
  availIdx(): number {
    return this.memory.read16(this.gpa + this.#avail + 2);
  }
  /** Writes `avail.idx`; false if the write was dropped. */
  setAvailIdx(value: number): boolean {
    return this.memory.write16(this.gpa + this.#avail + 2, value);
  }
  /** The head descriptor index at avail-ring position `index % num`. */
  availRing(index: number): number {
    return this.memory.read16(this.gpa + this.#avail + 4 + 2 * (index % this.num));
  }
  /** Writes the avail-ring entry at position `index % num`; false if the write was dropped. */
  setAvailRing(index: number, head: number): boolean {
    return this.memory.write16(this.gpa + this.#avail + 4 + 2 * (index % this.num), head);
  }
  /** Reads `avail.used_event`. */
  usedEvent(): number {
    return this.memory.read16(this.gpa + this.#avail + 4 + 2 * this.num);
  }
  /** Writes `avail.used_event`; false if the write was dropped. */
  setUsedEvent(value: number): boolean {
    return this.memory.write16(this.gpa + this.#avail + 4 + 2 * this.num, value);
  }

  /** Reads `used.flags`. */
  usedFlags(): number {
    return this.memory.read16(this.gpa + this.#used);
  }
  /** Writes `used.flags`; false if the write was dropped. */
  setUsedFlags(value: number): boolean {
    return this.memory.write16(this.gpa + this.#used, value);
  }
  /** Reads `used.idx`. */
  usedIdx(): number {
    return this.memory.read16(this.gpa + this.#used + 2);
  }
  /** Writes `used.idx`; false if the write was dropped. */
  setUsedIdx(value: number): boolean {
    return this.memory.write16(this.gpa + this.#used + 2, value);
  }
  /** The `id` of the used element at position `index % num`. */
  usedId(index: number): number {
    return this.memory.read32(this.gpa + this.#used + 4 + VRING_USED_ELEM_SIZE * (index % this.num));
  }
  /** The `len` of the used element at position `index % num`. */
  usedLen(index: number): number {
    return this.memory.read32(this.gpa + this.#used + 8 + VRING_USED_ELEM_SIZE * (index % this.num));
  }
  /** Writes the used element at position `index % num`. */
  setUsed(index: number, id: number, len: number): boolean {
    const at = this.gpa + this.#used + 4 + VRING_USED_ELEM_SIZE * (index % this.num);
    const a = this.memory.write32(at, id);
    const b = this.memory.write32(at + 4, len);
    return a && b;
  }
  /** Reads `used.avail_event`. */
  availEvent(): number {
    return this.memory.read16(this.gpa + this.#used + 4 + VRING_USED_ELEM_SIZE * this.num);
  }
  /** Writes `used.avail_event`; false if the write was dropped. */
  setAvailEvent(value: number): boolean {
    return this.memory.write16(this.gpa + this.#used + 4 + VRING_USED_ELEM_SIZE * this.num, value);
  }
}

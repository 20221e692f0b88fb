/**
 * Guest-physical memory: lguest's "guest memory is one block of the Launcher's memory".
 *
 * The Launcher owns one buffer (normally a `SharedArrayBuffer`, so the vCPU worker and the device
 * thread see the same bytes); guest-physical address 0 lives at byte offset `base` in it (§1 of the
 * spec). Every access the host makes on the guest's behalf goes through here and is checked with
 * the spec's range rule. A bad access never throws: it reads as zeros, or the write is dropped, and
 * the fault hook hears of it — the Host's hook kills the guest, exactly as lguest's `lgread` returns
 * zeros and kills.
 *
 * Every write also bumps the write generation of each page it touched (by `GENERATION_STEP`, leaving
 * the `CODE_CACHED` bit alone: see `frame.ts`). The generations live in shared memory, so a CPU in
 * another thread that cached decoded instructions from a page notices that a device (or the Host, or
 * a grant peer) changed it.
 */
import { allocateFrameIds, GENERATION_STEP, type HostFrame, PAGE_SHIFT, PAGE_SIZE } from './frame.js';

/** Called with the offending range when a guest-supplied address fails the range check. */
export type GuestFaultHook = (addr: number, len: number) => void;

/** What it takes to open the same guest memory in another thread (all of it is transferable by structured clone). */
export interface SharedGuestMemory {
  readonly buffer: SharedArrayBuffer;
  readonly base: number;
  readonly pfnLimit: number;
  readonly generations: SharedArrayBuffer;
}

/** Options for {@link GuestMemory}. */
export interface GuestMemoryOptions {
  /** Byte offset of gpa 0 in `buffer` (lguest's `base`). Default 0. */
  base?: number;
  /** Pages the guest may touch (lguest's `pfn_limit`). Default: every whole page of the buffer past `base`. */
  pfnLimit?: number;
  /** Called for every failed check; usually kills the guest. */
  onFault?: GuestFaultHook;
  /** Write generations to share with another thread's view of this memory (one `Int32` per page). */
  generations?: SharedArrayBuffer;
}

const U32_MAX = 0xffff_ffff;

/**
 * A guest's physical memory. Addresses and lengths are guest-supplied unsigned 32-bit numbers and
 * are checked on every access; results are unsigned and multi-byte values little-endian.
 *
 * Accessors never throw for a guest address: a failed check reads as 0 (or zero-fills the
 * destination), drops the write and returns false, and calls {@link GuestMemory.onFault} with the
 * offending (addr, len). Only host mistakes throw (a bad `base`, sharing non-shared memory).
 */
export class GuestMemory {
  /** The whole host buffer (gpa 0 is at {@link GuestMemory.base}). */
  readonly buffer: ArrayBufferLike;
  /** Byte offset of gpa 0 in the buffer. */
  readonly base: number;
  /** The guest's memory as bytes, starting at gpa 0 and running to the end of the buffer. */
  readonly bytes: Uint8Array;
  /** Per-page write generations, indexed by pfn. Shared when the buffer is. */
  readonly generations: Int32Array;
  /** Called with (addr, len) when a check fails. */
  onFault: GuestFaultHook | undefined;

  readonly #view: DataView;
  readonly #shared: boolean;
  readonly #frameIdBase = allocateFrameIds();
  readonly #frames: (HostFrame | undefined)[] = [];
  #pfnLimit = 0;
  #limit = 0;

  constructor(buffer: ArrayBufferLike, options: GuestMemoryOptions = {}) {
    const base = options.base ?? 0;
    if (!Number.isInteger(base) || base < 0 || base > buffer.byteLength) {
      throw new RangeError(`guest memory base ${base} is outside the ${buffer.byteLength}-byte buffer`);
    }
    this.buffer = buffer;
    this.base = base;
    this.bytes = new Uint8Array(buffer, base);
    this.#view = new DataView(buffer, base);
    this.#shared = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
    const pages = Math.ceil(this.bytes.length / PAGE_SIZE);
    if (options.generations) {
      if (options.generations.byteLength < pages * 4) {
        throw new RangeError('write-generation buffer is smaller than one Int32 per page');
      }
      this.generations = new Int32Array(options.generations, 0, pages);
    } else {
      const store = this.#shared ? new SharedArrayBuffer(pages * 4) : new ArrayBuffer(pages * 4);
      this.generations = new Int32Array(store);
    }
    this.onFault = options.onFault;
    this.setPfnLimit(options.pfnLimit ?? Math.floor(this.bytes.length / PAGE_SIZE));
  }

  /** Opens, in this thread, a memory another thread described with {@link GuestMemory.share}. */
  static fromShared(shared: SharedGuestMemory, onFault?: GuestFaultHook): GuestMemory {
    return new GuestMemory(shared.buffer, {
      base: shared.base,
      pfnLimit: shared.pfnLimit,
      generations: shared.generations,
      onFault,
    });
  }

  /** Describes this memory for another thread. Only for memories over a `SharedArrayBuffer`. */
  share(): SharedGuestMemory {
    if (!this.#shared) throw new TypeError('only memory over a SharedArrayBuffer can be shared');
    return {
      buffer: this.buffer as SharedArrayBuffer,
      base: this.base,
      pfnLimit: this.#pfnLimit,
      generations: this.generations.buffer as SharedArrayBuffer,
    };
  }

  /** lguest's `pfn_limit`. */
  get pfnLimit(): number {
    return this.#pfnLimit;
  }

  /** Bytes the guest may touch: `min(pfn_limit * 4096, buffer end)`. */
  get limit(): number {
    return this.#limit;
  }

  /** Sets `pfn_limit` (the Host does so at INITIALIZE). The usable limit never passes the buffer's end. */
  setPfnLimit(pfnLimit: number): void {
    this.#pfnLimit = pfnLimit >>> 0;
    this.#limit = Math.min(this.#pfnLimit * PAGE_SIZE, this.bytes.length);
  }

  /**
   * The spec's range rule (§1 item 3, the fixed form): `[addr, addr + len)` is usable iff
   * `addr + len` does not wrap past 2^32 and `addr + len <= pfn_limit * 4096` (and the buffer holds it).
   * `addr` and `len` may be given as unsigned or signed 32-bit numbers; any other number (at or
   * above 2^32, below -2^31, or fractional) is rejected. Never calls the fault hook.
   */
  addressOk(addr: number, len: number): boolean {
    const a = addr >>> 0;
    const l = len >>> 0;
    // A guest number arrives as its unsigned or signed 32-bit image. Anything else (2^32 + x from a
    // 64-bit descriptor field, or from `gpa + offset` near the top) must fail rather than be
    // truncated into some unrelated low address.
    if ((a !== addr && (addr | 0) !== addr) || (l !== len && (len | 0) !== len)) return false;
    const end = a + l;
    return end <= U32_MAX && end <= this.#limit;
  }

  /** Checks a range; on failure tells the fault hook (with the unsigned images of addr and len) and returns false. */
  check(addr: number, len: number): boolean {
    if (this.addressOk(addr, len)) return true;
    this.onFault?.(addr < 0 ? addr >>> 0 : addr, len < 0 ? len >>> 0 : len);
    return false;
  }

  /** The byte at `addr`, or 0 after a fault. */
  read8(addr: number): number {
    return this.check(addr, 1) ? this.#view.getUint8(addr >>> 0) : 0;
  }

  /** The little-endian u16 at `addr`, or 0 after a fault. */
  read16(addr: number): number {
    return this.check(addr, 2) ? this.#view.getUint16(addr >>> 0, true) : 0;
  }

  /** The little-endian u32 at `addr` (unsigned), or 0 after a fault. */
  read32(addr: number): number {
    return this.check(addr, 4) ? this.#view.getUint32(addr >>> 0, true) : 0;
  }

  /** A 64-bit read, as `bigint` (only a few ABI fields are 64 bits wide). */
  read64(addr: number): bigint {
    return this.check(addr, 8) ? this.#view.getBigUint64(addr >>> 0, true) : 0n;
  }

  /** Stores the low 8 bits of `value` at `addr`; false (nothing written) after a fault. */
  write8(addr: number, value: number): boolean {
    if (!this.check(addr, 1)) return false;
    this.#view.setUint8(addr >>> 0, value);
    this.touch(addr, 1);
    return true;
  }

  /** Stores the low 16 bits of `value` little-endian at `addr`; false (nothing written) after a fault. */
  write16(addr: number, value: number): boolean {
    if (!this.check(addr, 2)) return false;
    this.#view.setUint16(addr >>> 0, value, true);
    this.touch(addr, 2);
    return true;
  }

  /** Stores the low 32 bits of `value` little-endian at `addr`; false (nothing written) after a fault. */
  write32(addr: number, value: number): boolean {
    if (!this.check(addr, 4)) return false;
    this.#view.setUint32(addr >>> 0, value, true);
    this.touch(addr, 4);
    return true;
  }

  /** Stores `value` modulo 2^64 little-endian at `addr`; false (nothing written) after a fault. */
  write64(addr: number, value: bigint): boolean {
    if (!this.check(addr, 8)) return false;
    this.#view.setBigUint64(addr >>> 0, BigInt.asUintN(64, value), true);
    this.touch(addr, 8);
    return true;
  }

  /** Copies `src` into the guest at `addr` (one typed-array copy). False, and nothing written, on a bad range. */
  copyIn(addr: number, src: Uint8Array): boolean {
    if (!this.check(addr, src.length)) return false;
    this.bytes.set(src, addr >>> 0);
    this.touch(addr, src.length);
    return true;
  }

  /** Copies guest bytes at `addr` into `dst`. On a bad range `dst` is zero-filled and false returned. */
  copyOut(addr: number, dst: Uint8Array): boolean {
    if (!this.check(addr, dst.length)) {
      dst.fill(0);
      return false;
    }
    const start = addr >>> 0;
    dst.set(this.bytes.subarray(start, start + dst.length));
    return true;
  }

  /**
   * A view of guest bytes `[addr, addr + len)` for zero-copy device I/O, or `undefined` (after the
   * fault hook) on a bad range. Whoever writes through the view must call {@link GuestMemory.touch}.
   */
  view(addr: number, len: number): Uint8Array | undefined {
    if (!this.check(addr, len)) return undefined;
    const start = addr >>> 0;
    return this.bytes.subarray(start, start + (len >>> 0));
  }

  /**
   * Bumps the write generation of every page in `[addr, addr + len)` by `GENERATION_STEP` (the
   * `CODE_CACHED` bit is kept). Callers have checked the range; pages past the end of the buffer are
   * ignored rather than thrown on.
   */
  touch(addr: number, len: number): void {
    if (!(len > 0)) return;
    const gens = this.generations;
    const first = (addr >>> 0) >>> PAGE_SHIFT;
    const last = Math.min(Math.floor(((addr >>> 0) + len - 1) / PAGE_SIZE), gens.length - 1);
    if (this.#shared) {
      for (let p = first; p <= last; p++) Atomics.add(gens, p, GENERATION_STEP);
    } else {
      for (let p = first; p <= last; p++) gens[p] = (gens[p] + GENERATION_STEP) | 0;
    }
  }

  /**
   * The host frame of guest page `pfn`, or `undefined` when the page is beyond `pfn_limit` or the
   * buffer. Frames are made once per page and then reused (no allocation on the hot path).
   */
  frame(pfn: number): HostFrame | undefined {
    pfn >>>= 0;
    if (pfn >= this.#pfnLimit || (pfn + 1) * PAGE_SIZE > this.bytes.length) return undefined;
    let frame = this.#frames[pfn];
    if (frame === undefined) {
      frame = {
        bytes: this.bytes.subarray(pfn * PAGE_SIZE, (pfn + 1) * PAGE_SIZE),
        id: this.#frameIdBase + pfn,
        generations: this.generations,
        page: pfn,
      };
      this.#frames[pfn] = frame;
    }
    return frame;
  }
}

/**
 * The CPU's linear memory: its TLB and the accessors that go through it.
 *
 * `Cpu` (in `cpu.ts`) extends this class, so every instruction reaches memory as `c.rd32(lin)`,
 * `c.wr8(lin, v)` and so on, with the TLB hit test inlined in each accessor and everything else —
 * asking the {@link TranslationProvider}, page-crossing and privileged accesses, the #PF — in the slow
 * paths. The TLB maps a linear page to a host frame with the rights the provider granted; stores bump
 * the write generation of a frame some CPU caches code from (see `decode-cache.ts`). The CPU state
 * this needs (CPL, CR2, the fetch cache, the provider, raising a fault) is declared here and owned
 * by `Cpu`.
 */
import { bumpGeneration, CODE_CACHED, type HostFrame } from '@lguest/abi';
import { frameWritten } from './decode-cache.js';
import { VEC_PF } from './fault.js';
import {
  ACCESS_READ,
  ACCESS_WRITE,
  type Access,
  createTranslation,
  type TranslationProvider,
} from './translation.js';
import { UNBACKED_FRAME } from './unbacked.js';

/** TLB right bits. */
export const T_READ_SUPER = 1;
export const T_WRITE_SUPER = 2;
export const T_READ_USER = 4;
export const T_WRITE_USER = 8;
/** Entries in the direct-mapped TLB (linear page p lives in slot p & TLB_MASK): 64 MiB of reach. */
const TLB_SIZE = 1 << 14;
const TLB_MASK = TLB_SIZE - 1;
/** The page-number part of a TLB entry (`page << 4 | rights`). */
const TLB_TAG = 0xff_fff0;
/**
 * Entry bit: `tlbWords` holds a 32-bit view of the frame, so aligned dword accesses are one load or
 * store. Only on a little-endian host (the guest's byte order) and for a frame at a 4-byte-aligned
 * offset of its buffer.
 */
const T_WORDS = 1 << 24;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const EMPTY_WORDS = new Int32Array(0);
export const EMPTY_BYTES = new Uint8Array(0);
const NO_GENERATION = new Int32Array(1);

/** The TLB and linear-memory accessors of a {@link Cpu}. */
export abstract class LinearMemory {
  /**
   * @internal Direct-mapped TLB: slot `page & TLB_MASK` holds `page << 4 | rights` (T_* bits), or 0
   * when empty. An access with right bit `b` hits when `(entry & (TLB_TAG | b)) === (page << 4 | b)`.
   */
  readonly tlbEntry = new Int32Array(TLB_SIZE);
  /** @internal Frame bytes per slot. */
  readonly tlbBytes: Uint8Array[] = new Array<Uint8Array>(TLB_SIZE).fill(EMPTY_BYTES);
  /** @internal The same frames as dwords, valid where the entry has T_WORDS. */
  readonly tlbWords: Int32Array[] = new Array<Int32Array>(TLB_SIZE).fill(EMPTY_WORDS);
  /** Dword views of the frames this CPU has mapped, made once per frame. */
  readonly #words = new WeakMap<HostFrame, Int32Array>();
  /**
   * @internal Per slot, the frame's write-generation word as a one-element view (shared memory for a
   * shared frame): a store through the fast path reads it and, when CODE_CACHED is set (some CPU, in
   * any thread, caches code from the frame), bumps it, so decoded copies of the page get checked.
   */
  readonly tlbGeneration: Int32Array[] = new Array<Int32Array>(TLB_SIZE).fill(NO_GENERATION);
  /** Generation-word views of the frames this CPU has mapped, made once per frame. */
  readonly #generationWords = new WeakMap<HostFrame, Int32Array>();
  /**
   * @internal Slots filled since the last full flush, in `tlbFilled[0 … tlbFilledCount)` (a slot
   * emptied by `invalidatePage` and filled again appears twice; at TLB_SIZE the list stops growing
   * and the next flush clears everything).
   */
  readonly tlbFilled = new Int32Array(TLB_SIZE);
  /** @internal */
  tlbFilledCount = 0;
  /** @internal Frames per slot. */
  readonly tlbFrame: HostFrame[] = new Array<HostFrame>(TLB_SIZE).fill(UNBACKED_FRAME);
  readonly #translation = createTranslation();
  /** @internal TLB bit for a read at the current CPL. */
  readBit = T_READ_SUPER;
  /** @internal TLB bit for a write at the current CPL. */
  writeBit = T_WRITE_SUPER;
  /** @internal Current privilege level. */
  abstract cpl: number;
  /** Page-fault linear address. */
  abstract cr2: number;
  /** @internal Linear page of the cached code page, or -1. */
  abstract fetchPage: number;
  /** @internal */
  abstract translation: TranslationProvider;
  /** @internal Raises exception `vector` (error code or NO_ERROR_CODE): abandons the instruction. */
  abstract raise(vector: number, errorCode: number): never;

  /** Drops the TLB entry for the page holding `linear`. */
  invalidatePage(linear: number): void {
    const p = linear >>> 12;
    const i = p & TLB_MASK;
    this.fetchPage = -1;
    if ((this.tlbEntry[i] & TLB_TAG) === p << 4) this.tlbEntry[i] = 0;
  }

  /** Drops every TLB entry. */
  invalidateAll(): void {
    this.fetchPage = -1;
    // A CR3 load flushes everything, and a kernel does that on every context switch: clearing only
    // the slots filled since the last flush keeps it cheap when few were.
    const n = this.tlbFilledCount;
    if (n >= TLB_SIZE >> 2) this.tlbEntry.fill(0);
    else for (let k = 0; k < n; k++) this.tlbEntry[this.tlbFilled[k]] = 0;
    this.tlbFilledCount = 0;
  }

  /**
   * @internal The frame for an access to `linear`, from the TLB or the provider; raises #PF when the
   * provider refuses. A cached entry lacking the right is asked about once more before faulting.
   */
  frameFor(linear: number, access: Access, user: boolean): HostFrame {
    const p = linear >>> 12;
    const i = p & TLB_MASK;
    const need =
      access === ACCESS_WRITE ? (user ? T_WRITE_USER : T_WRITE_SUPER) : user ? T_READ_USER : T_READ_SUPER;
    if ((this.tlbEntry[i] & (TLB_TAG | need)) === ((p << 4) | need)) return this.tlbFrame[i];
    const t = this.#translation;
    t.frame = undefined;
    t.writable = false;
    t.user = false;
    const result = this.translation.translate((linear & ~0xfff) >>> 0, access, user, t);
    if (result !== 0) {
      this.cr2 = linear >>> 0;
      this.raise(VEC_PF, result & 0x7fff_ffff);
    }
    const frame = t.frame ?? UNBACKED_FRAME;
    let bits = T_READ_SUPER;
    if (t.user) bits |= T_READ_USER;
    // Writes to unbacked memory must reach writeSlow, which drops them.
    if (t.writable && frame !== UNBACKED_FRAME) {
      bits |= t.user ? T_WRITE_SUPER | T_WRITE_USER : T_WRITE_SUPER;
    }
    // The slot may hold another page; the fetch cache may point at the frame it replaces.
    if (i === (this.fetchPage & TLB_MASK) && (this.tlbEntry[i] & TLB_TAG) !== p << 4) this.fetchPage = -1;
    if (this.tlbEntry[i] === 0 && this.tlbFilledCount < TLB_SIZE) this.tlbFilled[this.tlbFilledCount++] = i;
    const words = this.#wordsOf(frame);
    if (words !== undefined) bits |= T_WORDS;
    this.tlbEntry[i] = (p << 4) | bits;
    this.tlbBytes[i] = frame.bytes;
    this.tlbWords[i] = words ?? EMPTY_WORDS;
    this.tlbFrame[i] = frame;
    this.tlbGeneration[i] = this.#generationWordOf(frame);
    return frame;
  }

  #generationWordOf(frame: HostFrame): Int32Array {
    let word = this.#generationWords.get(frame);
    if (word === undefined) {
      word = frame.generations.subarray(frame.page, frame.page + 1);
      this.#generationWords.set(frame, word);
    }
    return word;
  }

  /** @internal A store through TLB slot `i` happened: a page some CPU caches code from gets a new generation. */
  stored(i: number): void {
    const g = this.tlbGeneration[i];
    if ((g[0] & CODE_CACHED) !== 0) bumpGeneration(g, 0);
  }

  #wordsOf(frame: HostFrame): Int32Array | undefined {
    const bytes = frame.bytes;
    if (!LITTLE_ENDIAN || (bytes.byteOffset & 3) !== 0 || bytes.length < 4096) return undefined;
    let words = this.#words.get(frame);
    if (words === undefined) {
      words = new Int32Array(bytes.buffer, bytes.byteOffset, 1024);
      this.#words.set(frame, words);
    }
    return words;
  }

  // --- Linear memory access --------------------------------------------------------------------
  // Reads return unsigned bytes/words and signed dwords; the "W" reads check write rights (for
  // read-modify-write, so the write that follows cannot fault after flags changed).

  /** @internal */
  rd8(lin: number): number {
    const p = lin >>> 12;
    const i = p & TLB_MASK;
    const b = this.readBit;
    if ((this.tlbEntry[i] & (TLB_TAG | b)) === ((p << 4) | b)) return this.tlbBytes[i][lin & 0xfff];
    return this.readSlow(lin, 1, ACCESS_READ, this.cpl === 3);
  }

  /** @internal */
  rd16(lin: number): number {
    const p = lin >>> 12;
    const o = lin & 0xfff;
    const i = p & TLB_MASK;
    const r = this.readBit;
    if (o !== 0xfff && (this.tlbEntry[i] & (TLB_TAG | r)) === ((p << 4) | r)) {
      const b = this.tlbBytes[i];
      return b[o] | (b[o + 1] << 8);
    }
    return this.readSlow(lin, 2, ACCESS_READ, this.cpl === 3);
  }

  /** @internal */
  rd32(lin: number): number {
    const p = lin >>> 12;
    const o = lin & 0xfff;
    const i = p & TLB_MASK;
    const r = this.readBit;
    const e = this.tlbEntry[i];
    if (o <= 0xffc && (e & (TLB_TAG | r)) === ((p << 4) | r)) {
      if ((o & 3) === 0 && (e & T_WORDS) !== 0) return this.tlbWords[i][o >> 2];
      const b = this.tlbBytes[i];
      return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
    }
    return this.readSlow(lin, 4, ACCESS_READ, this.cpl === 3);
  }

  /** @internal */
  rd8w(lin: number): number {
    const p = lin >>> 12;
    const i = p & TLB_MASK;
    const b = this.writeBit;
    if ((this.tlbEntry[i] & (TLB_TAG | b)) === ((p << 4) | b)) return this.tlbBytes[i][lin & 0xfff];
    return this.readSlow(lin, 1, ACCESS_WRITE, this.cpl === 3);
  }

  /** @internal */
  rd16w(lin: number): number {
    const p = lin >>> 12;
    const o = lin & 0xfff;
    const i = p & TLB_MASK;
    const r = this.writeBit;
    if (o !== 0xfff && (this.tlbEntry[i] & (TLB_TAG | r)) === ((p << 4) | r)) {
      const b = this.tlbBytes[i];
      return b[o] | (b[o + 1] << 8);
    }
    return this.readSlow(lin, 2, ACCESS_WRITE, this.cpl === 3);
  }

  /** @internal */
  rd32w(lin: number): number {
    const p = lin >>> 12;
    const o = lin & 0xfff;
    const i = p & TLB_MASK;
    const r = this.writeBit;
    const e = this.tlbEntry[i];
    if (o <= 0xffc && (e & (TLB_TAG | r)) === ((p << 4) | r)) {
      if ((o & 3) === 0 && (e & T_WORDS) !== 0) return this.tlbWords[i][o >> 2];
      const b = this.tlbBytes[i];
      return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
    }
    return this.readSlow(lin, 4, ACCESS_WRITE, this.cpl === 3);
  }

  /** @internal */
  wr8(lin: number, v: number): void {
    const p = lin >>> 12;
    const i = p & TLB_MASK;
    const b = this.writeBit;
    if ((this.tlbEntry[i] & (TLB_TAG | b)) === ((p << 4) | b)) {
      this.tlbBytes[i][lin & 0xfff] = v;
      this.stored(i);
    } else this.writeSlow(lin, 1, v, this.cpl === 3);
  }

  /** @internal */
  wr16(lin: number, v: number): void {
    const p = lin >>> 12;
    const o = lin & 0xfff;
    const i = p & TLB_MASK;
    const r = this.writeBit;
    if (o !== 0xfff && (this.tlbEntry[i] & (TLB_TAG | r)) === ((p << 4) | r)) {
      const b = this.tlbBytes[i];
      b[o] = v;
      b[o + 1] = v >> 8;
      this.stored(i);
    } else this.writeSlow(lin, 2, v, this.cpl === 3);
  }

  /** @internal */
  wr32(lin: number, v: number): void {
    const p = lin >>> 12;
    const o = lin & 0xfff;
    const i = p & TLB_MASK;
    const r = this.writeBit;
    const e = this.tlbEntry[i];
    if (o <= 0xffc && (e & (TLB_TAG | r)) === ((p << 4) | r)) {
      if ((o & 3) === 0 && (e & T_WORDS) !== 0) {
        this.tlbWords[i][o >> 2] = v;
      } else {
        const b = this.tlbBytes[i];
        b[o] = v;
        b[o + 1] = v >> 8;
        b[o + 2] = v >> 16;
        b[o + 3] = v >> 24;
      }
      this.stored(i);
    } else this.writeSlow(lin, 4, v, this.cpl === 3);
  }

  /** @internal A read with explicit access kind and privilege (page-crossing, system and fetch reads). */
  readSlow(lin: number, size: number, access: Access, user: boolean): number {
    const first = this.frameFor(lin, access, user);
    const endLin = (lin + size - 1) | 0;
    const second = (endLin ^ lin) >>> 12 !== 0 ? this.frameFor(endLin, access, user) : first;
    let v = 0;
    for (let i = 0; i < size; i++) {
      const a = (lin + i) | 0;
      const f = (a ^ lin) >>> 12 === 0 ? first : second;
      v |= f.bytes[a & 0xfff] << (8 * i);
    }
    return size === 4 ? v : v >>> 0;
  }

  /** @internal A write with explicit privilege: both pages are checked before any byte is written. */
  writeSlow(lin: number, size: number, v: number, user: boolean): void {
    const first = this.frameFor(lin, ACCESS_WRITE, user);
    const endLin = (lin + size - 1) | 0;
    const second = (endLin ^ lin) >>> 12 !== 0 ? this.frameFor(endLin, ACCESS_WRITE, user) : first;
    for (let i = 0; i < size; i++) {
      const a = (lin + i) | 0;
      const f = (a ^ lin) >>> 12 === 0 ? first : second;
      // No RAM there: the write goes nowhere, as on a bus with nothing to answer it.
      if (f !== UNBACKED_FRAME) f.bytes[a & 0xfff] = v >> (8 * i);
    }
    frameWritten(first);
    if (second !== first) frameWritten(second);
  }

  /** @internal A supervisor-privilege read (descriptor tables, TSS), whatever the CPL. */
  rdSystem32(lin: number): number {
    return this.readSlow(lin, 4, ACCESS_READ, false);
  }
}

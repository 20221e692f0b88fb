/**
 * The decoded-instruction cache: instructions are decoded once per physical code page and replayed
 * from their {@link Decoded} records (allocated when an instruction is first decoded, never when it
 * runs) for as long as their bytes stay the same.
 *
 * Records are kept per host frame (so two linear mappings of one page share them, and a page shared
 * with another guest is keyed by what it is). Invalidation goes through the frame's shared
 * write-generation word (see `HostFrame` in `@lguest/abi`): the first time a CPU caches code from a
 * page it sets the word's CODE_CACHED bit, and from then on every writer in every thread — devices and
 * the Host through `GuestMemory`, the page walker's A/D updates, and any CPU's stores, whose fast path
 * reads the word once per store — adds GENERATION_STEP after writing. Pages no CPU caches code from
 * cost their writers nothing more than that read.
 *
 * Each record remembers the generation it was last valid at and its own bytes (at most 15). When the
 * generation moved, the record is not thrown away with the whole page: its bytes are compared with
 * the page's, and only a record whose bytes really changed is decoded again. A loop that writes into
 * its own page (a kernel patching itself, a JIT, a PLT next to its GOT) thus pays a 15-byte compare per
 * instruction rather than a page of decoding. The bytes a record is compared against are copied
 * before the instruction is decoded and after the generation was read, so a write racing the decoder
 * in another thread makes the record fail its next compare instead of being trusted. (A store's
 * plain read of the mark is not ordered against the store itself, so a store racing, within
 * nanoseconds, the very first caching of the bytes it writes could go unnoticed; the generation word
 * is not a lock, and x86 itself asks cross-modifying code to synchronise.)
 */
import { bumpGeneration, CODE_CACHED, type HostFrame, markCodeCached } from '@lguest/abi';
import type { Cpu } from './cpu.js';
import { type Runner, replayGeneric, selectRunner } from './fast-paths.js';

/** Records made before everything is dropped and decoding starts afresh. */
const MAX_RECORDS = 1 << 18;
/** Code pages cached at once before everything is dropped. */
const MAX_PAGES = 2048;

/** One decoded instruction: the decoder's output, replayed into the CPU's fields. */
export class Decoded {
  op = 0;
  modrm = 0;
  reg = 0;
  /** ModRM.rm for a register operand, -1 for memory or no ModRM. */
  rm = -1;
  /** Has a memory operand whose address is recomputed from the recipe. */
  memory = false;
  o32 = true;
  a32 = true;
  lock = false;
  rep = 0;
  segOverride = -1;
  eaSeg = 0;
  eaBase = 8;
  eaIndex = 8;
  eaScale = 0;
  eaDisp = 0;
  imm = 0;
  imm2 = 0;
  length = 0;
  /** CS.D when it was decoded: the same bytes mean something else in a 16-bit code segment. */
  code32 = true;
  /** A parameter of `run` (an ALU operation, a register, a condition), see `fast-paths.ts`. */
  arg = 0;
  /** The page's write generation when the record was last known to match its bytes. */
  generation = 0;
  /** The instruction's bytes, four per word little-endian, zero past `length`. */
  bytes0 = 0;
  bytes1 = 0;
  bytes2 = 0;
  bytes3 = 0;
  /** Executes this instruction (EIP already after it): a specialised form or the generic replay. */
  run: Runner = replayGeneric;
}

/** The records of one physical page, by offset. */
export class CodePage {
  readonly records: (Decoded | undefined)[] = new Array<Decoded | undefined>(4096).fill(undefined);
  /** The frame's write-generation array and index, hoisted for the per-instruction check. */
  readonly generations: Int32Array;
  readonly index: number;
  constructor(readonly frame: HostFrame) {
    this.generations = frame.generations;
    this.index = frame.page;
  }
}

/** Per-CPU cache of decoded instructions. */
export class DecodeCache {
  readonly pages = new Map<HostFrame, CodePage>();
  records = 0;
  /**
   * The last few code pages claimed, most recent first: a system call goes from the user page to the
   * entry stub, the handler and back — a handful of pages, each a map lookup without this memo.
   */
  readonly recent: (CodePage | undefined)[] = [undefined, undefined, undefined, undefined];

  /** Drops everything. */
  clear(): void {
    this.pages.clear();
    this.records = 0;
    this.recent.fill(undefined);
  }
}

/**
 * The code page for `frame`, created on first use; creating it marks the frame CODE_CACHED, so that
 * every writer, in any thread, bumps its generation from now on.
 */
export function claimCodePage(c: Cpu, frame: HostFrame): CodePage {
  const cache = c.decodeCache;
  const recent = cache.recent;
  const r0 = recent[0];
  if (r0 !== undefined && r0.frame === frame) return r0;
  for (let k = 1; k < recent.length; k++) {
    const r = recent[k];
    if (r !== undefined && r.frame === frame) {
      recent[k] = recent[k - 1];
      recent[k - 1] = r;
      return r;
    }
  }
  const page = lookupCodePage(c, frame);
  recent[3] = recent[2];
  recent[2] = recent[1];
  recent[1] = recent[0];
  recent[0] = page;
  return page;
}

/** The code page for `frame` from the map, created (and the frame marked) on first use. */
function lookupCodePage(c: Cpu, frame: HostFrame): CodePage {
  const cache = c.decodeCache;
  let page = cache.pages.get(frame);
  if (page === undefined) {
    if (cache.pages.size >= MAX_PAGES) clearDecodeCache(c);
    page = new CodePage(frame);
    cache.pages.set(frame, page);
    markCodeCached(frame.generations, frame.page);
  }
  return page;
}

/** Forgets every decoded instruction (too many records or pages, or on request). */
export function clearDecodeCache(c: Cpu): void {
  c.decodeCache.clear();
  c.codePage = undefined;
  c.fetchPage = -1;
}

/**
 * Called after anything wrote to `frame` behind the TLB's store fast path (the slow path, LOCKed
 * atomics): bumps its generation if some CPU caches code from it. Must follow the write.
 */
export function frameWritten(frame: HostFrame): void {
  if ((frame.generations[frame.page] & CODE_CACHED) !== 0) bumpGeneration(frame.generations, frame.page);
}

/** `n` (0–4) bytes of `bytes` from `at`, little-endian in one word. */
function wordAt(bytes: Uint8Array, at: number, n: number): number {
  let w = 0;
  for (let j = 0; j < n; j++) w |= bytes[at + j] << (j << 3);
  return w;
}

/** How many of the 4 bytes of word `k` of an `n`-byte instruction exist (0–4). */
function bytesInWord(n: number, k: number): number {
  const m = n - (k << 2);
  return m <= 0 ? 0 : m >= 4 ? 4 : m;
}

/** Whether the page still holds the bytes `d` was decoded from at `slot`. */
function sameBytes(bytes: Uint8Array, slot: number, d: Decoded): boolean {
  const n = d.length;
  if (wordAt(bytes, slot, bytesInWord(n, 0)) !== d.bytes0) return false;
  if (n > 4 && wordAt(bytes, slot + 4, bytesInWord(n, 1)) !== d.bytes1) return false;
  if (n > 8 && wordAt(bytes, slot + 8, bytesInWord(n, 2)) !== d.bytes2) return false;
  return n <= 12 || wordAt(bytes, slot + 12, bytesInWord(n, 3)) === d.bytes3;
}

/**
 * Prepares to record the instruction at `slot` of the current code page: notes the slot and the
 * generation (read first), then copies up to 15 bytes from there, what the record will be checked
 * against.
 */
function prepareRecord(c: Cpu, page: CodePage, slot: number, generation: number): void {
  c.recordSlot = slot;
  c.recordGeneration = generation;
  const bytes = page.frame.bytes;
  const n = 4096 - slot < 15 ? 4096 - slot : 15;
  const snap = c.recordBytes;
  snap[0] = wordAt(bytes, slot, bytesInWord(n, 0));
  snap[1] = wordAt(bytes, slot + 4, bytesInWord(n, 1));
  snap[2] = wordAt(bytes, slot + 8, bytesInWord(n, 2));
  snap[3] = wordAt(bytes, slot + 12, bytesInWord(n, 3));
}

/**
 * The decoded record for the instruction at CS:EIP, if the current code page has a valid one; else
 * undefined, after noting where the decoder should store the record it is about to make.
 */
export function findDecoded(c: Cpu): Decoded | undefined {
  const off = c.eip;
  const lin = (c.segBase[1] + off) | 0;
  // A new code page (a jump, a call, an interrupt or IRET changed page, CS or CPL): make it current
  // with the same checks and faults as fetching the instruction's first byte.
  if (lin >>> 12 !== c.fetchPage) c.refillFetch(off, lin);
  const page = c.codePage;
  if (page === undefined) {
    c.recordSlot = -1;
    return undefined;
  }
  const slot = lin & 0xfff;
  const generation = page.generations[page.index];
  const d = page.records[slot];
  if (d === undefined || d.code32 !== c.code32) {
    prepareRecord(c, page, slot, generation);
    return undefined;
  }
  if (d.generation !== generation) {
    // Something wrote the page since the record was last checked: only a change of its own bytes
    // makes it stale.
    if (!sameBytes(page.frame.bytes, slot, d)) {
      page.records[slot] = undefined;
      c.decodeCache.records--;
      prepareRecord(c, page, slot, generation);
      return undefined;
    }
    d.generation = generation;
  }
  // The whole instruction must lie within the CS limit (the decoder raises the #GP otherwise); when
  // the whole code page does, nothing on it can cross the limit.
  if (!c.fetchInLimit && (off + d.length - 1) >>> 0 > c.segLimit[1]) {
    c.recordSlot = -1;
    return undefined;
  }
  return d;
}

/** The low `n` bytes (0–4) of a word. */
function lowBytes(w: number, n: number): number {
  return n >= 4 ? w : w & ((1 << (n << 3)) - 1);
}

/** Stores the instruction just decoded (from `c.instrStart`) as a record, when it lies in one page. */
export function storeDecoded(c: Cpu, hasMemoryOperand: boolean): void {
  const page = c.codePage;
  const slot = c.recordSlot;
  if (page === undefined || slot < 0) return;
  const length = (c.eip - c.instrStart) | 0;
  if (slot + length > 4096 || length <= 0 || length > 15) return;
  const cache = c.decodeCache;
  if (cache.records >= MAX_RECORDS) {
    clearDecodeCache(c);
    return;
  }
  cache.records++;
  const d = new Decoded();
  d.op = c.op;
  d.modrm = c.modrm;
  d.reg = c.reg;
  d.rm = hasMemoryOperand ? -1 : c.rm;
  d.memory = hasMemoryOperand;
  d.o32 = c.o32;
  d.a32 = c.a32;
  d.lock = c.lock;
  d.rep = c.rep;
  d.segOverride = c.segOverride;
  d.eaSeg = c.eaSeg;
  d.eaBase = c.eaBase;
  d.eaIndex = c.eaIndex;
  d.eaScale = c.eaScale;
  d.eaDisp = c.eaDisp;
  d.imm = c.imm;
  d.imm2 = c.imm2;
  d.length = length;
  d.code32 = c.code32;
  d.generation = c.recordGeneration;
  const snap = c.recordBytes;
  d.bytes0 = lowBytes(snap[0], bytesInWord(length, 0));
  d.bytes1 = lowBytes(snap[1], bytesInWord(length, 1));
  d.bytes2 = lowBytes(snap[2], bytesInWord(length, 2));
  d.bytes3 = lowBytes(snap[3], bytesInWord(length, 3));
  d.run = selectRunner(d);
  page.records[slot] = d;
}

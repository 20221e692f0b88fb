/**
 * The decoded-instruction cache: instructions are decoded once per physical code page and replayed
 * from their {@link Decoded} records (allocated when an instruction is first decoded, never when it
 * runs) while the page's write generation stays the same.
 *
 * Records are kept per host frame (so two linear mappings of one page share them, and a page shared
 * with another guest is keyed by what it is). Every writer of a frame bumps `frame.generations[page]`:
 * devices and the Host through `GuestMemory`, the page walker for A/D bits, and this CPU — whose TLB
 * never grants write rights to a page holding cached code, so its writes to such a page take the slow
 * path, which bumps the generation and forgets the page. Before replaying a record the CPU compares
 * the generation, so a write by anyone is seen at the next instruction. Limitation: another CPU
 * (another thread) writing through its own TLB's fast path does not bump the generation; code on
 * pages two CPUs share and write is not cached correctly until something else bumps it.
 */
import type { HostFrame } from '@lguest/abi';
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
  /** Executes this instruction (EIP already after it): a specialised form or the generic replay. */
  run: Runner = replayGeneric;
}

/** The records of one physical page, by offset. */
export class CodePage {
  readonly records: (Decoded | undefined)[] = new Array<Decoded | undefined>(4096).fill(undefined);
  /** The frame's write-generation array and index, hoisted for the per-instruction check. */
  readonly generations: Int32Array;
  readonly index: number;
  constructor(
    readonly frame: HostFrame,
    public generation: number,
  ) {
    this.generations = frame.generations;
    this.index = frame.page;
  }
}

/** Per-CPU cache of decoded instructions. */
export class DecodeCache {
  readonly pages = new Map<HostFrame, CodePage>();
  records = 0;

  /** Drops everything. */
  clear(): void {
    this.pages.clear();
    this.records = 0;
  }
}

/**
 * The code page for `frame` (created on first use), registered so that this CPU's writes to the frame
 * invalidate it; its records are dropped if the frame changed since they were made.
 */
export function claimCodePage(c: Cpu, frame: HostFrame): CodePage {
  const cache = c.decodeCache;
  const generation = frame.generations[frame.page];
  let page = cache.pages.get(frame);
  if (page === undefined) {
    if (cache.pages.size >= MAX_PAGES) clearDecodeCache(c);
    page = new CodePage(frame, generation);
    cache.pages.set(frame, page);
    c.revokeWrites(frame);
  } else if (page.generation !== generation) {
    page.records.fill(undefined);
    page.generation = generation;
  }
  return page;
}

/** Forgets every decoded instruction (too many records or pages, or on request). */
export function clearDecodeCache(c: Cpu): void {
  c.decodeCache.clear();
  c.codePage = undefined;
  c.fetchPage = -1;
}

/** Called after this CPU wrote to `frame`: bumps its generation if it holds cached code and forgets it. */
export function codeWritten(c: Cpu, frame: HostFrame): void {
  const cache = c.decodeCache;
  const page = cache.pages.get(frame);
  if (page === undefined) return;
  cache.pages.delete(frame);
  if (frame.generations.buffer instanceof ArrayBuffer) frame.generations[frame.page]++;
  else Atomics.add(frame.generations, frame.page, 1);
  if (c.codePage === page) c.codePage = undefined;
  c.fetchPage = -1;
}

/**
 * The decoded record for the instruction at CS:EIP, if the current code page has a valid one; else
 * undefined, after noting where the decoder should store the record it is about to make.
 */
export function findDecoded(c: Cpu): Decoded | undefined {
  const page = c.codePage;
  const off = c.eip;
  const lin = (c.segBase[1] + off) | 0;
  if (page === undefined || lin >>> 12 !== c.fetchPage) {
    c.recordSlot = -1;
    return undefined;
  }
  if (page.generations[page.index] !== page.generation) {
    claimCodePage(c, page.frame);
    c.recordSlot = lin & 0xfff;
    return undefined;
  }
  const d = page.records[lin & 0xfff];
  if (d === undefined || d.code32 !== c.code32) {
    c.recordSlot = lin & 0xfff;
    return undefined;
  }
  // The whole instruction must lie within the CS limit (the decoder raises the #GP otherwise); when
  // the whole code page does, nothing on it can cross the limit.
  if (!c.fetchInLimit && (off + d.length - 1) >>> 0 > c.segLimit[1]) {
    c.recordSlot = -1;
    return undefined;
  }
  return d;
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
  d.run = selectRunner(d);
  page.records[slot] = d;
}

/**
 * The CPU: architectural state, instruction fetch, and the run loop.
 *
 * An embedder (the Switcher, the standalone runner, a test) creates a `Cpu` over physical memory,
 * sets its state and calls `run(budget)`, which executes until the budget is spent or something
 * ends the run with a typed {@link CpuExit}. Decoding is table-driven (`decoder.ts`); execution lives
 * in `execute.ts` and friends, which reach the state through the fields below. Faults are thrown as
 * the sentinel of `fault.ts` and turned into IDT delivery or exits by `interrupts.ts`; an instruction
 * that ends the run (HLT, INT n of an exit vector) calls {@link Cpu.exit} and completes, and the run
 * loop returns the exit after it.
 *
 * Memory is reached only through a TLB of `linear page → host frame + rights`, the base class in
 * `linear-memory.ts`, filled from a {@link TranslationProvider}; with no provider given, the i386
 * page walker of `page-walker.ts` (which is also "paging off": linear = physical) is used. The
 * register, segment and control-register names and the embedder-facing types are in
 * `cpu-interface.ts`, re-exported here.
 */
import type { HostFrame } from '@lguest/abi';
import {
  CONTROL_CHECK_INTERVAL,
  CONTROL_STOP,
  type CpuExit,
  type CpuOptions,
  CR0_ET,
  CR0_PE,
  CR0_PG,
  CR0_WP,
  CR4_PSE,
  type PhysicalMemory,
  type PortIo,
  REG_ESP,
  SEG_CS,
  SEG_DS,
  SEG_ES,
  SEG_FS,
  SEG_GS,
  SEG_SS,
  type SegmentState,
  type TableRegister,
} from './cpu-interface.js';
import { type CpuidTable, DEFAULT_CPUID } from './cpuid.js';
import { type CodePage, claimCodePage, DecodeCache, findDecoded } from './decode-cache.js';
import { decode } from './decoder.js';
import { Descriptor, type DescriptorSource, flatAttributes } from './descriptors.js';
import { execute } from './execute.js';
import { FAULT, NO_ERROR_CODE, VEC_GP, VEC_SS } from './fault.js';
import { FLAG_IF, FLAG_IOPL, LazyFlags } from './flags.js';
import { X87 } from './fpu/x87.js';
import { createX87Host } from './fpu-dispatch.js';
import { deliverExternal, deliverFault } from './interrupts.js';
import {
  EMPTY_BYTES,
  LinearMemory,
  T_READ_SUPER,
  T_READ_USER,
  T_WRITE_SUPER,
  T_WRITE_USER,
} from './linear-memory.js';
import { LinearDescriptorTables } from './linear-tables.js';
import { PageWalker } from './page-walker.js';
import { ACCESS_FETCH, type TranslationProvider } from './translation.js';
import { UNBACKED_FRAME } from './unbacked.js';

export * from './cpu-interface.js';

import type { X87Host, X87Unit } from './x87-seam.js';

const NO_IO: PortIo = {
  in: () => 0xffff_ffff,
  out: () => {},
};

const EXIT_STOP: CpuExit = Object.freeze({ kind: 'stop' });
const EXIT_HALT: CpuExit = Object.freeze({ kind: 'halt' });
const EXIT_TRIPLE: CpuExit = Object.freeze({ kind: 'triple-fault' });
const EXIT_BUDGET: CpuExit = Object.freeze({ kind: 'budget' });

/** An i686 CPU in protected mode. Real mode and virtual-8086 mode are not implemented. */
export class Cpu extends LinearMemory {
  /** The 8 general registers in REG_* order (read as `>>> 0` for unsigned). */
  readonly regs = new Int32Array(8);
  /** Instruction pointer (offset in CS). */
  eip = 0;
  /** @internal Lazily evaluated EFLAGS. */
  readonly flags = new LazyFlags();

  /** @internal Segment registers, indexed by SEG_*. */
  readonly segSel = new Int32Array(6);
  /** @internal */
  readonly segBase = new Int32Array(6);
  /** @internal Limits as unsigned numbers. */
  readonly segLimit = new Float64Array(6);
  /** @internal */
  readonly segAttr = new Int32Array(6);
  /** @internal Fast-path permission per segment: 1 = flat readable, 2 = flat writable. */
  readonly segFast = new Uint8Array(6);
  /** @internal Current privilege level. */
  cpl = 0;
  /** @internal CS.D: default operand and address size is 32 bits. */
  code32 = true;
  /** @internal SS.B: the stack pointer is ESP (else SP). */
  stack32 = true;

  #cr0 = CR0_PE | CR0_ET;
  /** Page-fault linear address. */
  cr2 = 0;
  #cr3 = 0;
  #cr4 = 0;
  /** Debug registers DR0–DR7 (stored, no breakpoints are implemented). */
  readonly dr = new Int32Array(8);

  /** GDTR, IDTR, LDTR, TR (for standalone use; the host tables source ignores them). */
  readonly gdtr: TableRegister = { selector: 0, base: 0, limit: 0xffff };
  readonly idtr: TableRegister = { selector: 0, base: 0, limit: 0x3ff };
  readonly ldtr: TableRegister = { selector: 0, base: 0, limit: 0 };
  readonly tr: TableRegister = { selector: 0, base: 0, limit: 0 };

  /** Time-stamp counter offset: RDTSC returns `instructionCount + tscOffset`. */
  tscOffset = 0;
  /** CPUID answers, see `cpuid.ts`. */
  cpuid: CpuidTable = DEFAULT_CPUID;

  /** Completed instructions since creation. */
  get instructionCount(): number {
    return this.icount;
  }
  /** @internal The counter behind {@link Cpu.instructionCount}. */
  icount = 0;

  /** @internal */
  readonly memory: PhysicalMemory;
  /** @internal */
  io: PortIo;
  /** @internal */
  control: Int32Array | undefined;
  /** @internal */
  translation: TranslationProvider;
  /** @internal Active descriptor source. */
  descriptors: DescriptorSource;
  /** The x87 unit, if any. */
  fpu: X87Unit | undefined;
  /** @internal The accessors handed to the x87 unit. */
  readonly x87Host: X87Host;
  /** The linear-memory descriptor source (GDTR/IDTR/LDTR/TR), the default. */
  readonly linearTables: LinearDescriptorTables;

  /** @internal Bits of vectors that end the run instead of being delivered. */
  readonly exitVectors = new Uint32Array(8);

  /** @internal Decoded instructions per physical code page. */
  readonly decodeCache = new DecodeCache();
  /** @internal The code page EIP is in (matches `fetchPage`), if it is RAM. */
  codePage: CodePage | undefined = undefined;
  /** @internal Offset in `codePage` where the instruction being decoded will be recorded, or -1. */
  recordSlot = -1;
  /** @internal The write generation read before the bytes of the instruction being decoded were copied. */
  recordGeneration = 0;
  /** @internal Those bytes (up to 15, four per word), what its record will be checked against. */
  readonly recordBytes = new Int32Array(4);
  /** @internal Linear page of the cached code page, or -1. */
  fetchPage = -1;
  /** @internal Bytes of the cached code page. */
  fetchBytes: Uint8Array = EMPTY_BYTES;
  /** @internal The whole of the cached code page lies within the CS limit. */
  fetchInLimit = false;

  // --- Decoded instruction (filled by decoder.ts) ------------------------------------------------
  /** @internal EIP of the instruction being executed. */
  instrStart = 0;
  /** @internal Opcode, 0x000–0x0FF one-byte, 0x100–0x1FF after 0F. */
  op = 0;
  /** @internal */
  modrm = 0;
  /** @internal ModRM.reg */
  reg = 0;
  /** @internal ModRM.rm when ModRM.mod = 3, else -1 (memory operand). */
  rm = 0;
  /** @internal Effective address (offset in `eaSeg`) of the memory operand. */
  ea = 0;
  /** @internal */
  eaSeg = SEG_DS;
  /** @internal Effective-address recipe: base and index registers (8: none), scale, displacement. */
  eaBase = 8;
  /** @internal */
  eaIndex = 8;
  /** @internal */
  eaScale = 0;
  /** @internal */
  eaDisp = 0;
  /** @internal First and second immediate. */
  imm = 0;
  /** @internal */
  imm2 = 0;
  /** @internal 32-bit operand size. */
  o32 = true;
  /** @internal 32-bit address size. */
  a32 = true;
  /** @internal Segment override or -1. */
  segOverride = -1;
  /** @internal 0, 0xF2 (REPNE) or 0xF3 (REP/REPE). */
  rep = 0;
  /** @internal LOCK prefix seen. */
  lock = false;

  // --- Pending fault / exit --------------------------------------------------------------------
  /** @internal */
  pendingVector = 0;
  /** @internal Error code or NO_ERROR_CODE. */
  pendingError = NO_ERROR_CODE;
  /** @internal */
  pendingExit: CpuExit = EXIT_HALT;
  /** @internal Descriptor scratch. */
  readonly scratch = new Int32Array(2);
  /** @internal */
  readonly desc = new Descriptor();

  constructor(options: CpuOptions) {
    super();
    this.memory = options.memory;
    this.io = options.io ?? NO_IO;
    this.control = options.control;
    this.fpu = options.fpu === null ? undefined : (options.fpu ?? new X87());
    this.x87Host = createX87Host(this);
    this.linearTables = new LinearDescriptorTables(this);
    this.descriptors = this.linearTables;
    this.translation = options.translation ?? new PageWalker(this);
    this.translation.bind?.(this);
    for (let s = 0; s < 6; s++)
      this.setSegment(s, { selector: 0, base: 0, limit: 0xffff_ffff, attributes: 0 });
  }

  // --- Registers and flags ---------------------------------------------------------------------

  /** The full architectural EFLAGS. */
  getEflags(): number {
    return this.flags.get() >>> 0;
  }

  /** Replaces EFLAGS (no privilege checks: this is the embedder's view). */
  setEflags(value: number): void {
    this.flags.load(value);
  }

  /** @internal The IOPL field. */
  get iopl(): number {
    return (this.flags.bits & FLAG_IOPL) >>> 12;
  }

  /** @internal IF. */
  get interruptsEnabled(): boolean {
    return (this.flags.bits & FLAG_IF) !== 0;
  }

  /** @internal */
  getReg8(r: number): number {
    return r < 4 ? this.regs[r] & 0xff : (this.regs[r - 4] >> 8) & 0xff;
  }

  /** @internal */
  setReg8(r: number, v: number): void {
    if (r < 4) this.regs[r] = (this.regs[r] & ~0xff) | (v & 0xff);
    else this.regs[r - 4] = (this.regs[r - 4] & ~0xff00) | ((v & 0xff) << 8);
  }

  /** @internal */
  setReg16(r: number, v: number): void {
    this.regs[r] = (this.regs[r] & ~0xffff) | (v & 0xffff);
  }

  // --- Control registers -----------------------------------------------------------------------

  get cr0(): number {
    return this.#cr0 >>> 0;
  }
  /** Writing CR0 flushes the TLB when PG or WP change. PE always reads as 1. */
  set cr0(value: number) {
    const old = this.#cr0;
    this.#cr0 = value | CR0_PE | CR0_ET | 0;
    if ((old ^ this.#cr0) & (CR0_PG | CR0_WP)) this.invalidateAll();
  }

  get cr3(): number {
    return this.#cr3 >>> 0;
  }
  /** Writing CR3 flushes the TLB (there are no global pages). */
  set cr3(value: number) {
    this.#cr3 = value | 0;
    this.invalidateAll();
  }

  get cr4(): number {
    return this.#cr4 >>> 0;
  }
  set cr4(value: number) {
    const old = this.#cr4;
    this.#cr4 = value | 0;
    if ((old ^ value) & CR4_PSE) this.invalidateAll();
  }

  /** The time-stamp counter: instructions executed plus {@link Cpu.tscOffset}. */
  get tsc(): number {
    return this.icount + this.tscOffset;
  }
  set tsc(value: number) {
    this.tscOffset = value - this.icount;
  }

  // --- Exits and descriptor tables -------------------------------------------------------------

  /** Marks the vectors whose delivery ends the run (256 bits, bit v of word v >> 5). */
  setExitVectors(bits: Uint32Array): void {
    for (let i = 0; i < 8; i++) this.exitVectors[i] = bits[i] ?? 0;
  }

  /** @internal */
  isExitVector(vector: number): boolean {
    return (this.exitVectors[vector >>> 5] & (1 << (vector & 31))) !== 0;
  }

  /** Reads descriptors from `source` (e.g. {@link HostDescriptorTables}), or from linear memory when undefined. */
  setDescriptorSource(source: DescriptorSource | undefined): void {
    this.descriptors = source ?? this.linearTables;
  }

  /** The translation provider in use. */
  get translationProvider(): TranslationProvider {
    return this.translation;
  }

  // --- Segments --------------------------------------------------------------------------------

  /** A copy of segment register `seg` with its hidden descriptor part. */
  getSegment(seg: number): SegmentState {
    return {
      selector: this.segSel[seg] & 0xffff,
      base: this.segBase[seg] >>> 0,
      limit: this.segLimit[seg],
      attributes: this.segAttr[seg],
    };
  }

  /** The selector in segment register `seg` (what {@link Cpu.getSegment} reports, without a copy). */
  getSelector(seg: number): number {
    return this.segSel[seg] & 0xffff;
  }

  /**
   * Sets a segment register with its hidden part, without checks (the embedder's view; guest loads go
   * through the descriptor checks). Setting CS sets CPL to the selector's RPL. `attributes` of 0 marks a
   * null (unusable) data segment.
   */
  setSegment(seg: number, state: SegmentState): void {
    this.setSegmentFields(seg, state.selector, state.base, state.limit, state.attributes);
  }

  /**
   * {@link Cpu.setSegment} from plain numbers, allocating nothing: what interrupt delivery, IRET and
   * far returns use for a ring switch, and what an embedder that loads segments on every entry (the
   * Switcher) can use.
   */
  setSegmentFields(seg: number, selector: number, base: number, limit: number, attributes: number): void {
    this.segSel[seg] = selector & 0xffff;
    this.segBase[seg] = base | 0;
    this.segLimit[seg] = limit >>> 0;
    this.segAttr[seg] = attributes & 0xf0ff;
    this.#segmentChanged(seg);
    if (seg === SEG_CS) this.setCpl(selector & 3);
  }

  /** @internal Loads a segment's hidden part from a decoded descriptor. */
  loadSegmentCache(seg: number, selector: number, d: Descriptor | undefined): void {
    this.segSel[seg] = selector & 0xffff;
    if (d === undefined) {
      this.segBase[seg] = 0;
      this.segLimit[seg] = 0;
      this.segAttr[seg] = 0;
    } else {
      this.segBase[seg] = d.base | 0;
      this.segLimit[seg] = d.limit;
      this.segAttr[seg] = d.attributes;
    }
    this.#segmentChanged(seg);
  }

  #segmentChanged(seg: number): void {
    const attr = this.segAttr[seg];
    let fast = 0;
    const present = (attr & 0x90) === 0x90;
    const code = (attr & 0x8) !== 0;
    const expandDown = !code && (attr & 0x4) !== 0;
    if (present && !expandDown && this.segLimit[seg] === 0xffff_ffff) {
      if (!code || attr & 0x2) fast |= 1;
      if (!code && attr & 0x2) fast |= 2;
    }
    this.segFast[seg] = fast;
    if (seg === SEG_CS) {
      this.code32 = (attr & 0x4000) !== 0;
      this.fetchPage = -1;
    }
    if (seg === SEG_SS) this.stack32 = (attr & 0x4000) !== 0;
  }

  /** @internal */
  setCpl(cpl: number): void {
    this.cpl = cpl;
    this.fetchPage = -1;
    this.readBit = cpl === 3 ? T_READ_USER : T_READ_SUPER;
    this.writeBit = cpl === 3 ? T_WRITE_USER : T_WRITE_SUPER;
  }

  /**
   * @internal Linear address of `size` bytes at `offset` in segment `seg`, after the limit and type
   * checks (#GP(0), or #SS(0) for the stack segment).
   */
  segLinear(seg: number, offset: number, size: number, write: boolean): number {
    if (this.segFast[seg] & (write ? 2 : 1)) return (this.segBase[seg] + offset) | 0;
    return this.#segLinearSlow(seg, offset, size, write);
  }

  #segLinearSlow(seg: number, offset: number, size: number, write: boolean): number {
    const attr = this.segAttr[seg];
    const vector = seg === SEG_SS ? VEC_SS : VEC_GP;
    if ((attr & 0x90) !== 0x90) this.raise(vector, 0);
    const code = (attr & 0x8) !== 0;
    if (write ? code || (attr & 2) === 0 : code && (attr & 2) === 0) this.raise(vector, 0);
    const off = offset >>> 0;
    const last = off + size - 1;
    const limit = this.segLimit[seg];
    if (!code && attr & 0x4) {
      const upper = attr & 0x4000 ? 0xffff_ffff : 0xffff;
      if (off <= limit || last > upper) this.raise(vector, 0);
    } else if (last > limit) {
      this.raise(vector, 0);
    }
    return (this.segBase[seg] + off) | 0;
  }

  // --- Faults ----------------------------------------------------------------------------------

  /** @internal Raises exception `vector` (error code or NO_ERROR_CODE): abandons the instruction. */
  raise(vector: number, errorCode: number): never {
    this.pendingVector = vector;
    this.pendingError = errorCode;
    throw FAULT;
  }

  /** @internal #GP(code) */
  gp(code: number): never {
    return this.raise(VEC_GP, code);
  }

  /**
   * @internal Ends the run with `exit` once the current instruction completes; the caller finishes the
   * instruction (normally it returns at once). No exception is thrown: exits are common (every
   * system call and hypercall through the Host) and unwinding is not cheap.
   */
  exit(exit: CpuExit): void {
    this.pendingExit = exit;
    this.exitRequested = true;
    this.endRun = true;
  }

  // --- Segment-relative access -----------------------------------------------------------------

  /** @internal */
  readSeg8(seg: number, off: number): number {
    return this.rd8(this.segLinear(seg, off, 1, false));
  }
  /** @internal */
  readSeg16(seg: number, off: number): number {
    return this.rd16(this.segLinear(seg, off, 2, false));
  }
  /** @internal */
  readSeg32(seg: number, off: number): number {
    return this.rd32(this.segLinear(seg, off, 4, false));
  }
  /** @internal */
  writeSeg8(seg: number, off: number, v: number): void {
    this.wr8(this.segLinear(seg, off, 1, true), v);
  }
  /** @internal */
  writeSeg16(seg: number, off: number, v: number): void {
    this.wr16(this.segLinear(seg, off, 2, true), v);
  }
  /** @internal */
  writeSeg32(seg: number, off: number, v: number): void {
    this.wr32(this.segLinear(seg, off, 4, true), v);
  }

  // --- Instruction fetch -----------------------------------------------------------------------

  /**
   * @internal Fetches the next instruction byte. The page holding EIP is cached (`fetchPage`); the
   * cache is dropped whenever CS, CPL or the TLB change, so the checks made when it was filled stay
   * valid. The CS limit is checked on every byte.
   */
  fetch8(): number {
    const off = this.eip;
    const lin = (this.segBase[SEG_CS] + off) | 0;
    if (lin >>> 12 === this.fetchPage && off >>> 0 <= this.segLimit[SEG_CS]) {
      this.eip = (off + 1) | 0;
      return this.fetchBytes[lin & 0xfff];
    }
    return this.#fetchSlow(off, lin);
  }

  #fetchSlow(off: number, lin: number): number {
    const frame = this.refillFetch(off, lin);
    this.eip = (off + 1) | 0;
    return frame.bytes[lin & 0xfff];
  }

  /**
   * @internal Makes the page holding CS offset `off` (linear `lin`) the cached code page, with the
   * checks the first byte's fetch makes (#GP(0) past the CS limit, #PF), and returns its frame. The
   * run loop calls it before looking up a decoded record, so that an instruction reached by a far
   * transfer, an interrupt or a jump to another page is replayed rather than decoded again.
   */
  refillFetch(off: number, lin: number): HostFrame {
    if (off >>> 0 > this.segLimit[SEG_CS]) this.gp(0);
    const frame = this.frameFor(lin, ACCESS_FETCH, this.cpl === 3);
    this.fetchPage = lin >>> 12;
    this.fetchBytes = frame.bytes;
    // CS offsets of the page's first and last bytes; a page whose offsets wrap around 4 GiB keeps the
    // per-instruction limit check.
    const pageStart = (off >>> 0) - (lin & 0xfff);
    const pageEnd = pageStart + 0xfff;
    this.fetchInLimit = pageStart >= 0 && pageEnd <= this.segLimit[SEG_CS];
    this.codePage = frame === UNBACKED_FRAME ? undefined : claimCodePage(this, frame);
    return frame;
  }

  /** @internal */
  fetch16(): number {
    const lo = this.fetch8();
    return lo | (this.fetch8() << 8);
  }

  /** @internal */
  fetch32(): number {
    const lo = this.fetch16();
    return lo | (this.fetch16() << 16);
  }

  // --- Stack -----------------------------------------------------------------------------------

  /** @internal Stack offset `delta` bytes above the current stack pointer (SP-wrapped for 16-bit stacks). */
  stackOffset(delta: number): number {
    const sp = this.regs[REG_ESP];
    return this.stack32 ? (sp + delta) | 0 : (sp + delta) & 0xffff;
  }

  /** @internal Sets ESP (or SP) to the current value plus `delta`. */
  adjustStack(delta: number): void {
    if (this.stack32) this.regs[REG_ESP] = (this.regs[REG_ESP] + delta) | 0;
    else this.setReg16(REG_ESP, this.regs[REG_ESP] + delta);
  }

  /** @internal */
  push32(v: number): void {
    const off = this.stackOffset(-4);
    this.wr32(this.segLinear(SEG_SS, off, 4, true), v);
    this.adjustStack(-4);
  }

  /** @internal */
  push16(v: number): void {
    const off = this.stackOffset(-2);
    this.wr16(this.segLinear(SEG_SS, off, 2, true), v);
    this.adjustStack(-2);
  }

  /** @internal Pushes with the current operand size. */
  push(v: number): void {
    if (this.o32) this.push32(v);
    else this.push16(v);
  }

  /** @internal Reads the stack at `delta` above the stack pointer without popping. */
  peek(delta: number, size: number): number {
    const off = this.stackOffset(delta);
    const lin = this.segLinear(SEG_SS, off, size, false);
    return size === 4 ? this.rd32(lin) : this.rd16(lin);
  }

  /** @internal Pops with the current operand size. */
  pop(): number {
    const size = this.o32 ? 4 : 2;
    const v = this.peek(0, size);
    this.adjustStack(size);
    return v;
  }

  // --- Running ---------------------------------------------------------------------------------

  /** Executes one instruction. Undefined when it completed or its exception was delivered through the IDT. */
  step(): CpuExit | undefined {
    const exit = this.#runSome(1);
    return exit === EXIT_BUDGET ? undefined : exit;
  }

  /** Executes until `budget` instructions completed or an exit happened. */
  run(budget: number): CpuExit {
    let left = Math.max(0, Math.floor(budget));
    while (true) {
      if (this.control !== undefined && Atomics.load(this.control, CONTROL_STOP) !== 0) return EXIT_STOP;
      if (left <= 0) return EXIT_BUDGET;
      const chunk = left < CONTROL_CHECK_INTERVAL ? left : CONTROL_CHECK_INTERVAL;
      const before = this.icount;
      const exit = this.#runSome(chunk);
      left -= Math.max(1, this.icount - before);
      if (exit !== EXIT_BUDGET) return exit;
    }
  }

  /**
   * Delivers external interrupt `vector` through the IDT now (no gate-DPL check, no error code), as the
   * hardware does at an instruction boundary; an exit vector exits instead. The caller checks IF.
   */
  interrupt(vector: number): CpuExit | undefined {
    this.instrStart = this.eip;
    return deliverExternal(this, vector & 0xff);
  }

  /** Runs up to `count` instructions; returns EXIT_BUDGET when they all completed. */
  #runSome(count: number): CpuExit {
    let done = 0;
    while (done < count) {
      try {
        for (; done < count; done++) {
          const eip = this.eip;
          this.instrStart = eip;
          const d = findDecoded(this);
          if (d !== undefined) {
            this.eip = (eip + d.length) | 0;
            d.run(this, d);
          } else {
            decode(this);
            execute(this);
          }
          this.icount++;
          if (this.endRun) return this.#takeEnd();
        }
      } catch (e) {
        if (e !== FAULT) throw e;
        this.eip = this.instrStart;
        const exit = deliverFault(this, this.pendingVector, this.pendingError);
        if (exit !== undefined) return exit;
        done++;
      }
    }
    return EXIT_BUDGET;
  }

  /**
   * Asks the CPU to end the current run with `{kind: 'stop'}` as soon as the current instruction
   * completes. Meant for port-I/O handlers (a device that wants the embedder's attention now, a
   * debug-exit port); other threads use the control block instead.
   */
  requestStop(): void {
    this.stopRequested = true;
    this.endRun = true;
  }

  /** @internal Set by {@link Cpu.requestStop} until the run ends with it. */
  stopRequested = false;
  /** @internal Set by {@link Cpu.exit} until the run ends with `pendingExit`. */
  exitRequested = false;
  /** @internal Either of the two: the one flag the run loop checks after every instruction. */
  endRun = false;

  /** The exit that ends the run after the instruction just completed: the instruction's own first. */
  #takeEnd(): CpuExit {
    if (this.exitRequested) {
      this.exitRequested = false;
      this.endRun = this.stopRequested;
      return this.pendingExit;
    }
    this.stopRequested = false;
    this.endRun = false;
    return EXIT_STOP;
  }

  /** @internal Exit objects without payload. */
  static readonly EXIT_HALT = EXIT_HALT;
  /** @internal */
  static readonly EXIT_TRIPLE = EXIT_TRIPLE;
}

/**
 * A CPU in flat 32-bit protected mode, CPL 0, CS/DS/ES/SS/FS/GS base 0 limit 4 GiB, eflags 0x2.
 * Paging is off unless `translation` supplies another provider (the shadow MMU, say), which then
 * answers every access.
 */
export function createFlatCpu(
  memory: PhysicalMemory,
  options: { io?: PortIo; control?: Int32Array; translation?: TranslationProvider } = {},
): Cpu {
  const cpu = new Cpu({ memory, io: options.io, control: options.control, translation: options.translation });
  const data = flatAttributes(0x3, 0);
  cpu.setSegment(SEG_CS, { selector: 0x08, base: 0, limit: 0xffff_ffff, attributes: flatAttributes(0xb, 0) });
  for (const seg of [SEG_ES, SEG_SS, SEG_DS, SEG_FS, SEG_GS]) {
    cpu.setSegment(seg, { selector: 0x10, base: 0, limit: 0xffff_ffff, attributes: data });
  }
  cpu.setEflags(0x2);
  return cpu;
}

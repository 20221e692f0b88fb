/**
 * The x87 floating-point unit of the CPU: the register stack, control/status/tag words, the last-instruction
 * pointers, and the execution of every ESC instruction (opcodes 0xD8–0xDF) an i686 guest can issue
 * (spec §15.1), including FCMOVcc and FCOMI/FUCOMI(P), FNSAVE/FRSTOR and FNSTENV/FLDENV.
 *
 * The integer core decodes the instruction, checks CR0.EM/TS (#NM) and, for waiting instructions
 * ({@link X87.isWaiting}), a pending unmasked exception (#MF, vector 16, CR0.NE = 1), then calls
 * {@link X87.execute} with the effective linear address. Registers are exact 80-bit images; the
 * arithmetic is in x87-arith.ts (exact, over x87-exact.ts), the transcendental functions in
 * x87-transcendental.ts, the formats in x87-formats.ts, the memory layouts in x87-env.ts.
 */

import type { X87Host } from '../x87-seam.js';
import {
  arith,
  CMP_EQUAL,
  CMP_LESS,
  CMP_UNORDERED,
  compare,
  extract,
  isNaNLike,
  OP_ADD,
  OP_DIV,
  OP_MUL,
  OP_SUB,
  propagateNaN,
  remainder,
  remPartial,
  remQuotient,
  roundToIntegral,
  scale,
  sqrt,
} from './x87-arith.js';
import { EnvImage, envSize, readEnv, writeEnv } from './x87-env.js';
import {
  bitsHi,
  bitsLo,
  EX_DE,
  EX_IE,
  EX_PE,
  EX_SF,
  EX_ZE,
  EXT_EXP_MAX,
  Ext,
  extFromBcd,
  extFromDouble,
  extFromFloat,
  extFromNumber,
  extFromSigned,
  extToBcd,
  extToNumber,
  extToSigned,
  intHi,
  intLo,
  packFloat,
  ROUNDED_UP,
  setIndefinite,
} from './x87-formats.js';
import { f2xm1, fpatan, fyl2x, fyl2xp1, trigonometric, UNCHANGED } from './x87-transcendental.js';

/** What the FPU needs from the CPU core (one definition, in the core's seam). */
export type { X87Host };

/** Status-word bits. */
export const SW_ES = 0x80;
export const SW_C0 = 0x100;
export const SW_C1 = 0x200;
export const SW_C2 = 0x400;
export const SW_C3 = 0x4000;
export const SW_B = 0x8000;
const SW_CC = SW_C0 | SW_C1 | SW_C2 | SW_C3;

/** Control word after FNINIT, and the bits a control word can hold (bit 6 always reads as 1). */
export const CW_INIT = 0x037f;
const CW_WRITABLE = 0x1f3f;

/** Tag values in the full tag word. */
export const TAG_VALID = 0;
export const TAG_ZERO = 1;
export const TAG_SPECIAL = 2;
export const TAG_EMPTY = 3;

/** `execute` results. */
export const X87_OK = 0;
export const X87_UD = 6;

// The constants as the processor loads them with round-to-nearest (exponent, significand high, low), and
// whether that rounding went up — then rounding down or toward zero loads one unit less; log2(10) is the
// one rounded down, so rounding up loads one unit more.
const CONST_EXP = Uint16Array.of(0x3fff, 0x4000, 0x3fff, 0x4000, 0x3ffd, 0x3ffe, 0);
const CONST_HI = Uint32Array.of(0x80000000, 0xd49a784b, 0xb8aa3b29, 0xc90fdaa2, 0x9a209a84, 0xb17217f7, 0);
const CONST_LO = Uint32Array.of(0, 0xcd1b8afe, 0x5c17f0bc, 0x2168c235, 0xfbcff799, 0xd1cf79ac, 0);
const CONST_NEAREST_UP = 0b0111100; // by index: log2(e), pi, log10(2), ln(2)
const CONST_NEAREST_DOWN = 0b0000010; // log2(10)

/**
 * The x87 FPU. Register accessors take stack-relative indices (ST(i)); the physical register is
 * (TOP + i) mod 8 as in the tag word.
 */
export class X87 {
  /** FPU instruction pointer (offset), set by the core before a non-control instruction. */
  lastIp = 0;
  /** FPU instruction pointer selector. */
  lastCs = 0;
  /** FPU operand pointer (offset of the last memory operand). */
  lastDp = 0;
  /** FPU operand pointer selector. */
  lastDs = 0;
  /** Last non-control opcode: low 3 bits of the ESC byte and the ModRM byte (11 bits). */
  lastOpcode = 0;

  private cw = CW_INIT;
  /** Status word without TOP (bits 11–13), which lives in `stackTop`. */
  private sw = 0;
  private stackTop = 0;
  /** Bit p set: physical register p is empty. */
  private empty = 0xff;
  private readonly regs: Ext[] = [];
  private readonly tA = new Ext();
  private readonly tB = new Ext();
  private readonly tR = new Ext();
  private readonly tR2 = new Ext();
  private readonly env = new EnvImage();
  private readonly bytes = new Uint8Array(108);
  private readonly saveRegs: Ext[] = [];

  constructor() {
    for (let i = 0; i < 8; i++) {
      this.regs.push(new Ext());
      this.saveRegs.push(new Ext());
    }
    this.reset();
  }

  /** FNINIT: CW 0x037F, SW 0, all registers empty, pointers and opcode 0 (register contents are kept). */
  reset(): void {
    this.cw = CW_INIT;
    this.sw = 0;
    this.stackTop = 0;
    this.empty = 0xff;
    this.lastIp = 0;
    this.lastCs = 0;
    this.lastDp = 0;
    this.lastDs = 0;
    this.lastOpcode = 0;
  }

  // ---- state accessors -----------------------------------------------------------------------------

  /** Whether SW.ES is set: an unmasked exception is pending (#MF at the next waiting instruction). */
  get exceptionPending(): boolean {
    return (this.sw & SW_ES) !== 0;
  }

  /** The control word. Writing it behaves like FLDCW. */
  get controlWord(): number {
    return this.cw;
  }
  set controlWord(v: number) {
    this.cw = (v & CW_WRITABLE) | 0x40;
    this.updateSummary();
  }

  /** The status word including TOP. Writing it sets TOP too. */
  get statusWord(): number {
    return (this.sw | (this.stackTop << 11)) & 0xffff;
  }
  set statusWord(v: number) {
    this.sw = v & ~0x3800 & 0xffff;
    this.stackTop = (v >> 11) & 7;
  }

  /** TOP: the physical register that is ST(0). */
  get top(): number {
    return this.stackTop;
  }
  set top(v: number) {
    this.stackTop = v & 7;
  }

  /** The full tag word (2 bits per physical register), computed from the contents as FNSTENV stores it. */
  get tagWord(): number {
    let tw = 0;
    for (let p = 0; p < 8; p++) tw |= this.tagOf(p) << (2 * p);
    return tw;
  }
  /** Loads a tag word: only "empty" (11) or not is kept, as on FLDENV. */
  set tagWord(v: number) {
    let e = 0;
    for (let p = 0; p < 8; p++) if (((v >> (2 * p)) & 3) === TAG_EMPTY) e |= 1 << p;
    this.empty = e;
  }

  /** Whether ST(i) is empty. */
  isEmpty(i: number): boolean {
    return ((this.empty >> this.phys(i)) & 1) !== 0;
  }

  /** ST(i) as the nearest double (whatever its tag). */
  getRegister(i: number): number {
    return extToNumber(this.regs[this.phys(i)]);
  }

  /** Sets ST(i) to a double value (exactly) and marks it valid. */
  setRegister(i: number, value: number): void {
    const p = this.phys(i);
    extFromNumber(this.regs[p], value);
    this.empty &= ~(1 << p);
  }

  /** Copies the 10-byte image of ST(i) (significand little-endian, then sign/exponent) into `out`. */
  readRegisterImage(i: number, out: Uint8Array): void {
    const r = this.regs[this.phys(i)];
    putImage(out, 0, r);
  }

  /** Sets ST(i) from a 10-byte image and marks it non-empty. */
  writeRegisterImage(i: number, image: Uint8Array): void {
    const p = this.phys(i);
    getImage(this.regs[p], image, 0);
    this.empty &= ~(1 << p);
  }

  /** Pushes a double onto the stack (no stack-fault checks; for the embedding API and tests). */
  push(value: number): void {
    this.stackTop = (this.stackTop - 1) & 7;
    this.setRegister(0, value);
  }

  // ---- instruction classification ------------------------------------------------------------------

  /**
   * Whether the instruction is a waiting one, which first takes #MF for a pending unmasked exception.
   * The no-wait forms are FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE and the 8087/287 leftovers
   * FNENI, FNDISI, FNSETPM.
   */
  isWaiting(opcode: number, modrm: number): boolean {
    const mem = modrm < 0xc0;
    const reg = (modrm >> 3) & 7;
    switch (opcode & 0xff) {
      case 0xd9:
        return !(mem && reg >= 6);
      case 0xdb:
        return !(modrm >= 0xe0 && modrm <= 0xe4);
      case 0xdd:
        return !(mem && reg >= 6);
      case 0xdf:
        return modrm !== 0xe0;
      default:
        return true;
    }
  }

  /**
   * Whether the instruction records the FPU instruction/operand pointers and opcode (every instruction
   * except the control instructions FNINIT, FNCLEX, FLDCW, FNSTCW, FNSTSW, FNSTENV, FLDENV, FNSAVE,
   * FRSTOR and the no-op FNENI/FNDISI/FNSETPM). The core sets `lastIp`/`lastCs` (and for memory forms
   * `lastDp`/`lastDs`) only when this is true; `execute` records `lastOpcode` itself.
   */
  updatesPointers(opcode: number, modrm: number): boolean {
    const mem = modrm < 0xc0;
    const reg = (modrm >> 3) & 7;
    switch (opcode & 0xff) {
      case 0xd9:
        return !(mem && reg >= 4);
      case 0xdb:
        return !(modrm >= 0xe0 && modrm <= 0xe4);
      case 0xdd:
        return !(mem && (reg === 4 || reg >= 6));
      case 0xdf:
        return modrm !== 0xe0;
      default:
        return true;
    }
  }

  // ---- execution -----------------------------------------------------------------------------------

  /**
   * Executes one ESC instruction. `linear` is the effective linear address of a memory operand (ignored
   * for register forms); `operand32` picks the 32-bit environment layouts. Returns {@link X87_OK} or
   * {@link X87_UD}. Memory faults propagate as thrown by the host, before any FPU state changes.
   */
  execute(opcode: number, modrm: number, linear: number, operand32: boolean, host: X87Host): number {
    opcode &= 0xff;
    modrm &= 0xff;
    linear >>>= 0;
    const reg = (modrm >> 3) & 7;
    const rm = modrm & 7;
    const mem = modrm < 0xc0;
    let r: number;
    switch (opcode) {
      case 0xd8:
        r = mem ? this.memArith(reg, host.read32(linear), 0, 0) : this.regArith(reg, rm, false, false);
        break;
      case 0xda:
        r = mem ? this.memArith(reg, host.read32(linear), 0, 1) : this.escDaReg(modrm, host);
        break;
      case 0xdc:
        r = mem
          ? this.memArith(reg, host.read32(linear), host.read32((linear + 4) >>> 0), 2)
          : this.regArith(reg, rm, true, false);
        break;
      case 0xde:
        r = mem ? this.memArith(reg, host.read16(linear), 0, 3) : this.escDeReg(reg, rm);
        break;
      case 0xd9:
        r = mem ? this.escD9Mem(reg, linear, operand32, host) : this.escD9Reg(modrm);
        break;
      case 0xdb:
        r = mem ? this.escDbMem(reg, linear, host) : this.escDbReg(modrm, host);
        break;
      case 0xdd:
        r = mem ? this.escDdMem(reg, linear, operand32, host) : this.escDdReg(reg, rm);
        break;
      case 0xdf:
        r = mem ? this.escDfMem(reg, linear, host) : this.escDfReg(modrm, host);
        break;
      default:
        r = X87_UD;
    }
    if (r === X87_OK && this.updatesPointers(opcode, modrm)) this.lastOpcode = ((opcode & 7) << 8) | modrm;
    return r;
  }

  // ---- stack helpers -------------------------------------------------------------------------------

  private phys(i: number): number {
    return (this.stackTop + i) & 7;
  }
  private emptyAt(i: number): boolean {
    return ((this.empty >> ((this.stackTop + i) & 7)) & 1) !== 0;
  }
  private st(i: number): Ext {
    return this.regs[(this.stackTop + i) & 7];
  }
  private pop(): void {
    this.empty |= 1 << this.stackTop;
    this.stackTop = (this.stackTop + 1) & 7;
  }
  private pushExt(x: Ext): void {
    this.stackTop = (this.stackTop - 1) & 7;
    this.regs[this.stackTop].copyFrom(x);
    this.empty &= ~(1 << this.stackTop);
  }
  private store(i: number, x: Ext): void {
    const p = (this.stackTop + i) & 7;
    this.regs[p].copyFrom(x);
    this.empty &= ~(1 << p);
  }
  private tagOf(p: number): number {
    if ((this.empty >> p) & 1) return TAG_EMPTY;
    const x = this.regs[p];
    if (x.isZero()) return TAG_ZERO;
    if (x.exp === EXT_EXP_MAX || x.exp === 0 || (x.hi & 0x80000000) === 0) return TAG_SPECIAL;
    return TAG_VALID;
  }

  /** Precision control in bits (the reserved setting 01 behaves as 64 here). */
  private precision(): number {
    const pc = (this.cw >> 8) & 3;
    return pc === 0 ? 24 : pc === 2 ? 53 : 64;
  }
  private rc(): number {
    return (this.cw >> 10) & 3;
  }

  /** Records exception flags (sticky) and sets ES/B when an unmasked one is among the set flags. */
  private raise(flags: number): void {
    this.sw |= flags & 0x7f;
    this.updateSummary();
  }
  private updateSummary(): void {
    if (this.sw & ~this.cw & 0x3f) this.sw |= SW_ES | SW_B;
    else this.sw &= ~(SW_ES | SW_B);
  }
  /** Whether `flags` holds an unmasked exception that suppresses the result (IE, DE or ZE). */
  private blocks(flags: number): boolean {
    return (flags & ~this.cw & (EX_IE | EX_DE | EX_ZE)) !== 0;
  }
  private setC1(on: boolean): void {
    if (on) this.sw |= SW_C1;
    else this.sw &= ~SW_C1;
  }
  private setCC(c3: boolean, c2: boolean, c1: boolean, c0: boolean): void {
    this.sw = (this.sw & ~SW_CC) | (c3 ? SW_C3 : 0) | (c2 ? SW_C2 : 0) | (c1 ? SW_C1 : 0) | (c0 ? SW_C0 : 0);
  }

  /**
   * Stack underflow (an empty operand): IE|SF with C1 = 0. Returns true when masked, i.e. the caller
   * continues with the indefinite as the result.
   */
  private underflow(): boolean {
    this.setC1(false);
    this.raise(EX_IE | EX_SF);
    return (this.cw & EX_IE) !== 0;
  }

  /** Whether the register a push would use (ST(7)) is in use. */
  private stackFull(): boolean {
    return ((this.empty >> ((this.stackTop - 1) & 7)) & 1) === 0;
  }

  /**
   * Stack overflow of an instruction that replaces ST(0) and pushes a second result (FXTRACT, FPTAN,
   * FSINCOS): IE|SF with C1 = 1; masked, both become the indefinite.
   */
  private pushOverflow(): number {
    this.setC1(true);
    this.raise(EX_IE | EX_SF);
    if (this.cw & EX_IE) {
      setIndefinite(this.tR);
      this.store(0, this.tR);
      this.pushExt(this.tR);
    }
    return X87_OK;
  }

  /** Pushes `x` with the overflow check (IE|SF, C1 = 1; masked: the indefinite is pushed). */
  private load(x: Ext, flags: number): number {
    if (this.stackFull()) {
      this.setC1(true);
      this.raise(EX_IE | EX_SF);
      if (this.cw & EX_IE) {
        setIndefinite(this.tR2);
        this.pushExt(this.tR2);
      }
      return X87_OK;
    }
    this.setC1(false);
    if (this.blocks(flags)) {
      this.raise(flags);
      return X87_OK;
    }
    this.raise(flags);
    this.pushExt(x);
    return X87_OK;
  }

  // ---- arithmetic ----------------------------------------------------------------------------------

  /**
   * D8/DA/DC/DE memory forms: `kind` 0 m32real, 1 m32int, 2 m64real, 3 m16int (the words already read).
   */
  private memArith(reg: number, w0: number, w1: number, kind: number): number {
    const b = this.tB;
    let flags = 0;
    if (kind === 0) flags = extFromFloat(b, w0 >>> 0);
    else if (kind === 2) flags = extFromDouble(b, w1 >>> 0, w0 >>> 0);
    else if (kind === 1) extFromSigned(b, w0 >> 31, w0);
    else extFromSigned(b, (w0 << 16) >> 31, (w0 << 16) >> 16);
    if (reg === 2 || reg === 3) return this.fcom(b, flags, reg === 3 ? 1 : 0, false);
    return this.arithTo(reg, 0, b, 0, false, flags);
  }

  /** D8 (dst ST(0)) and DC (dst ST(i)) register forms; FCOM/FCOMP (and the DC aliases) for reg 2/3. */
  private regArith(reg: number, i: number, toSti: boolean, pop: boolean): number {
    if (reg === 2 || reg === 3) return this.fcomReg(i, reg === 3 ? 1 : 0, false);
    return this.arithTo(reg, i, this.st(i), toSti ? i : 0, pop, 0);
  }

  /**
   * x = ST(0), y = the other operand: reg 0 x+y, 1 x*y, 4 x−y, 5 y−x, 6 x/y, 7 y/x, into ST(dst).
   * `srcIndex` names y when it is a register (for the empty check); a memory operand arrives in tB, with
   * the flags its conversion raised.
   */
  private arithTo(reg: number, srcIndex: number, y: Ext, dst: number, pop: boolean, flags: number): number {
    const srcEmpty = y !== this.tB && this.emptyAt(srcIndex);
    if (this.emptyAt(0) || srcEmpty) {
      if (this.underflow()) {
        setIndefinite(this.tR);
        this.store(dst, this.tR);
        if (pop) this.pop();
      }
      return X87_OK;
    }
    if (this.blocks(flags)) {
      this.raise(flags);
      return X87_OK;
    }
    const x = this.st(0);
    const p = this.precision();
    const rc = this.rc();
    let f: number;
    switch (reg) {
      case 0:
        f = arith(OP_ADD, this.tR, x, y, p, rc, this.cw);
        break;
      case 1:
        f = arith(OP_MUL, this.tR, x, y, p, rc, this.cw);
        break;
      case 4:
        f = arith(OP_SUB, this.tR, x, y, p, rc, this.cw);
        break;
      case 5:
        f = arith(OP_SUB, this.tR, y, x, p, rc, this.cw);
        break;
      case 6:
        f = arith(OP_DIV, this.tR, x, y, p, rc, this.cw);
        break;
      default:
        f = arith(OP_DIV, this.tR, y, x, p, rc, this.cw);
        break;
    }
    return this.commit(dst, flags | f, pop);
  }

  /** Writes a result to ST(dst) unless an unmasked IE/DE/ZE suppresses it; sets C1 and flags. */
  private commit(dst: number, flags: number, pop: boolean): number {
    this.setC1((flags & ROUNDED_UP) !== 0);
    if (this.blocks(flags)) {
      this.raise(flags);
      return X87_OK;
    }
    this.raise(flags);
    this.store(dst, this.tR);
    if (pop) this.pop();
    return X87_OK;
  }

  // ---- comparisons ---------------------------------------------------------------------------------

  private fcomReg(i: number, pops: number, unordered: boolean): number {
    if (this.emptyAt(i)) return this.compareUnderflow(pops);
    return this.fcom(this.st(i), 0, pops, unordered);
  }

  private compareUnderflow(pops: number): number {
    this.setCC(true, true, false, true);
    if (this.underflow()) for (let k = 0; k < pops; k++) this.pop();
    return X87_OK;
  }

  /** FCOM/FUCOM family with condition codes C3 C2 C0; pops 0, 1 or 2 registers. */
  private fcom(b: Ext, flags: number, pops: number, unordered: boolean): number {
    if (this.emptyAt(0)) return this.compareUnderflow(pops);
    const a = this.st(0);
    const c = compare(a, b);
    if (c === CMP_UNORDERED) {
      if (!unordered || a.isSignaling() || b.isSignaling() || a.isUnsupported() || b.isUnsupported())
        flags |= EX_IE;
    } else if (a.isDenormal() || b.isDenormal()) flags |= EX_DE;
    this.setC1(false);
    if (this.blocks(flags)) {
      this.raise(flags);
      return X87_OK;
    }
    this.setCC(
      c === CMP_EQUAL || c === CMP_UNORDERED,
      c === CMP_UNORDERED,
      false,
      c === CMP_LESS || c === CMP_UNORDERED,
    );
    this.raise(flags);
    for (let k = 0; k < pops; k++) this.pop();
    return X87_OK;
  }

  /** FCOMI/FCOMIP/FUCOMI/FUCOMIP: the result goes to ZF, PF, CF. */
  private fcomi(i: number, pop: boolean, unordered: boolean, host: X87Host): number {
    this.setC1(false);
    if (this.emptyAt(0) || this.emptyAt(i)) {
      // The processor reports "unordered" in EFLAGS even when the stack fault is unmasked.
      host.setCompareFlags(true, true, true);
      if (this.underflow() && pop) this.pop();
      return X87_OK;
    }
    const a = this.st(0);
    const b = this.st(i);
    const c = compare(a, b);
    let flags = 0;
    if (c === CMP_UNORDERED) {
      if (!unordered || a.isSignaling() || b.isSignaling() || a.isUnsupported() || b.isUnsupported())
        flags |= EX_IE;
    } else if (a.isDenormal() || b.isDenormal()) flags |= EX_DE;
    if (this.blocks(flags)) {
      this.raise(flags);
      return X87_OK;
    }
    host.setCompareFlags(
      c === CMP_EQUAL || c === CMP_UNORDERED,
      c === CMP_UNORDERED,
      c === CMP_LESS || c === CMP_UNORDERED,
    );
    this.raise(flags);
    if (pop) this.pop();
    return X87_OK;
  }

  // ---- ESC D9 --------------------------------------------------------------------------------------

  private escD9Mem(reg: number, linear: number, operand32: boolean, host: X87Host): number {
    switch (reg) {
      case 0: {
        const flags = extFromFloat(this.tA, host.read32(linear) >>> 0);
        return this.load(this.tA, flags);
      }
      case 2:
      case 3:
        return this.storeReal(linear, false, reg === 3, host);
      case 4: {
        readEnv(host, linear, operand32, this.env);
        this.loadEnv();
        return X87_OK;
      }
      case 5:
        this.controlWord = host.read16(linear);
        return X87_OK;
      case 6:
        this.saveEnv(linear, operand32, host);
        // FNSTENV leaves every exception masked, so a handler that saved the environment cannot re-fault.
        this.cw |= 0x3f;
        this.updateSummary();
        return X87_OK;
      case 7:
        host.write16(linear, this.cw);
        return X87_OK;
      default:
        return X87_UD;
    }
  }

  private escD9Reg(modrm: number): number {
    const i = modrm & 7;
    if (modrm < 0xc8) {
      // FLD ST(i)
      if (this.emptyAt(i)) {
        if (!this.underflow()) return X87_OK;
        setIndefinite(this.tA);
        return this.load(this.tA, 0);
      }
      this.tA.copyFrom(this.st(i));
      return this.load(this.tA, 0);
    }
    if (modrm < 0xd0) return this.fxch(i);
    if (modrm === 0xd0) return X87_OK; // FNOP
    if (modrm < 0xd8) return X87_UD;
    if (modrm < 0xe0) return this.fstReg(i, true); // reserved alias of FSTP ST(i)
    switch (modrm) {
      case 0xe0:
      case 0xe1:
        return this.signOp(modrm === 0xe0);
      case 0xe4:
        return this.ftst();
      case 0xe5:
        return this.fxam();
      case 0xe8:
      case 0xe9:
      case 0xea:
      case 0xeb:
      case 0xec:
      case 0xed:
      case 0xee:
        return this.loadConstant(modrm - 0xe8);
      case 0xf0:
        return this.f2xm1();
      case 0xf1:
        return this.binaryMath(0);
      case 0xf2:
        return this.trig(2);
      case 0xf3:
        return this.binaryMath(1);
      case 0xf4:
        return this.fxtract();
      case 0xf5:
        return this.fprem(true);
      case 0xf6:
        this.stackTop = (this.stackTop - 1) & 7;
        this.setC1(false);
        return X87_OK;
      case 0xf7:
        this.stackTop = (this.stackTop + 1) & 7;
        this.setC1(false);
        return X87_OK;
      case 0xf8:
        return this.fprem(false);
      case 0xf9:
        return this.binaryMath(2);
      case 0xfa:
        return this.fsqrt();
      case 0xfb:
        return this.trig(3);
      case 0xfc:
        return this.frndint();
      case 0xfd:
        return this.fscale();
      case 0xfe:
        return this.trig(0);
      case 0xff:
        return this.trig(1);
      default:
        return X87_UD;
    }
  }

  private fxch(i: number): number {
    if (this.emptyAt(0) || this.emptyAt(i)) {
      if (!this.underflow()) return X87_OK;
      if (this.emptyAt(0)) setIndefinite(this.st(0));
      if (this.emptyAt(i)) setIndefinite(this.st(i));
    }
    this.tA.copyFrom(this.st(0));
    this.store(0, this.st(i));
    this.store(i, this.tA);
    this.setC1(false);
    return X87_OK;
  }

  private signOp(chs: boolean): number {
    if (this.emptyAt(0)) {
      if (this.underflow()) {
        setIndefinite(this.tR);
        this.store(0, this.tR);
      }
      return X87_OK;
    }
    const x = this.st(0);
    x.sign = chs ? 1 - x.sign : 0;
    this.setC1(false);
    return X87_OK;
  }

  private ftst(): number {
    this.tB.set(0, 0, 0, 0);
    return this.fcom(this.tB, 0, 0, false);
  }

  /** FXAM: C3 C2 C0 classify ST(0), C1 is its sign (also for an empty register). */
  private fxam(): number {
    const x = this.st(0);
    const neg = x.sign === 1;
    if (this.emptyAt(0)) this.setCC(true, false, neg, true);
    else if (x.isUnsupported()) this.setCC(false, false, neg, false);
    else if (x.isNaN()) this.setCC(false, false, neg, true);
    else if (x.isInf()) this.setCC(false, true, neg, true);
    else if (x.isZero()) this.setCC(true, false, neg, false);
    else if (x.exp === 0) this.setCC(true, true, neg, false);
    else this.setCC(false, true, neg, false);
    return X87_OK;
  }

  private loadConstant(k: number): number {
    const rc = this.rc();
    let lo = CONST_LO[k];
    if ((CONST_NEAREST_UP >> k) & 1 && (rc === 1 || rc === 3)) lo -= 1;
    else if ((CONST_NEAREST_DOWN >> k) & 1 && rc === 2) lo += 1;
    this.tA.set(0, CONST_EXP[k], CONST_HI[k], lo);
    return this.load(this.tA, 0);
  }

  /** Common prologue of the one-operand functions: false when ST(0) was empty or a NaN was handled. */
  private unaryReady(): boolean {
    if (this.emptyAt(0)) {
      if (this.underflow()) {
        setIndefinite(this.tR);
        this.store(0, this.tR);
      }
      return false;
    }
    const x = this.st(0);
    if (isNaNLike(x)) {
      this.commit(0, propagateNaN(this.tR, x, null), false);
      return false;
    }
    return true;
  }

  /** F2XM1: 2^ST(0) − 1. */
  private f2xm1(): number {
    if (!this.unaryReady()) return X87_OK;
    const f = f2xm1(this.tR, this.st(0), this.rc(), this.cw);
    if (f !== UNCHANGED) return this.commit(0, f, false);
    this.setC1(false);
    this.raise(EX_PE);
    return X87_OK;
  }

  /** k = 0 FYL2X, 1 FPATAN, 2 FYL2XP1: ST(1) = f(ST(1), ST(0)), then pop. */
  private binaryMath(k: number): number {
    if (this.emptyAt(0) || this.emptyAt(1)) {
      if (this.underflow()) {
        setIndefinite(this.tR);
        this.store(1, this.tR);
        this.pop();
      }
      return X87_OK;
    }
    const x = this.st(0);
    const y = this.st(1);
    const rc = this.rc();
    const f =
      k === 0
        ? fyl2x(this.tR, x, y, rc, this.cw)
        : k === 1
          ? fpatan(this.tR, x, y, rc, this.cw)
          : fyl2xp1(this.tR, x, y, rc, this.cw);
    return this.commit(1, f, true);
  }

  /** k = 0 FSIN, 1 FCOS, 2 FPTAN, 3 FSINCOS (the last two push a second result). */
  private trig(k: number): number {
    const pushes = k >= 2;
    if (this.emptyAt(0)) {
      if (this.underflow()) {
        setIndefinite(this.tR);
        this.store(0, this.tR);
        if (pushes) this.pushExt(this.tR);
      }
      return X87_OK;
    }
    if (pushes && this.stackFull()) return this.pushOverflow();
    const f = trigonometric(k, this.tR, this.tR2, this.st(0), this.rc(), this.cw);
    if (f === UNCHANGED) {
      // |x| >= 2^63: C2 = 1 and the operand is left for the program to reduce.
      this.sw |= SW_C2;
      return X87_OK;
    }
    this.sw &= ~SW_C2;
    this.setC1(false);
    if (this.blocks(f)) {
      this.raise(f);
      return X87_OK;
    }
    this.raise(f);
    this.store(0, this.tR);
    if (pushes) this.pushExt(this.tR2);
    return X87_OK;
  }

  private fxtract(): number {
    const empty = this.emptyAt(0);
    if (!empty && this.stackFull()) return this.pushOverflow();
    let flags: number;
    if (empty) {
      // Both results are the indefinite.
      flags = EX_IE | EX_SF;
      setIndefinite(this.tR);
      this.tR2.copyFrom(this.tR);
    } else flags = extract(this.tR, this.tR2, this.st(0));
    this.setC1(false);
    if (this.blocks(flags)) {
      this.raise(flags);
      return X87_OK;
    }
    this.raise(flags);
    this.store(0, this.tR);
    this.pushExt(this.tR2);
    return X87_OK;
  }

  private fprem(ieee: boolean): number {
    if (this.emptyAt(0) || this.emptyAt(1)) {
      if (this.underflow()) {
        setIndefinite(this.tR);
        this.store(0, this.tR);
      }
      return X87_OK;
    }
    const f = remainder(this.tR, this.st(0), this.st(1), ieee, this.rc(), this.cw);
    if (this.blocks(f)) {
      this.raise(f);
      return X87_OK;
    }
    const q = remQuotient;
    if (remPartial) this.sw = (this.sw & ~SW_CC) | SW_C2;
    else this.setCC((q & 2) !== 0, false, (q & 1) !== 0, (q & 4) !== 0); // C3 = Q1, C1 = Q0, C0 = Q2
    this.raise(f);
    this.store(0, this.tR);
    return X87_OK;
  }

  private fsqrt(): number {
    if (this.emptyAt(0)) return this.arithTo(0, 0, this.tB, 0, false, 0);
    return this.commit(0, sqrt(this.tR, this.st(0), this.precision(), this.rc(), this.cw), false);
  }

  private frndint(): number {
    if (!this.unaryReady()) return X87_OK;
    return this.commit(0, roundToIntegral(this.tR, this.st(0), this.rc(), this.cw), false);
  }

  private fscale(): number {
    if (this.emptyAt(0) || this.emptyAt(1)) {
      if (this.underflow()) {
        setIndefinite(this.tR);
        this.store(0, this.tR);
      }
      return X87_OK;
    }
    return this.commit(0, scale(this.tR, this.st(0), this.st(1), this.rc(), this.cw), false);
  }

  // ---- ESC DA / DB register forms ------------------------------------------------------------------

  private escDaReg(modrm: number, host: X87Host): number {
    if (modrm === 0xe9) return this.fcomReg(1, 2, true); // FUCOMPP
    if (modrm >= 0xe0) return X87_UD;
    return this.fcmov(modrm & 7, fcmovCondition(host.readEflags(), modrm));
  }

  private fcmov(i: number, cond: boolean): number {
    if (this.emptyAt(0) || this.emptyAt(i)) {
      if (this.underflow() && cond) {
        setIndefinite(this.tR);
        this.store(0, this.tR);
      }
      return X87_OK;
    }
    this.setC1(false);
    if (cond) this.store(0, this.st(i));
    return X87_OK;
  }

  private escDbReg(modrm: number, host: X87Host): number {
    if (modrm < 0xe0) {
      return this.fcmov(modrm & 7, !fcmovCondition(host.readEflags(), modrm));
    }
    if (modrm === 0xe0 || modrm === 0xe1 || modrm === 0xe4) return X87_OK; // FNENI, FNDISI, FNSETPM
    if (modrm === 0xe2) {
      this.sw &= ~(0xff | SW_B);
      return X87_OK;
    }
    if (modrm === 0xe3) {
      this.reset();
      return X87_OK;
    }
    if (modrm >= 0xe8 && modrm < 0xf8) return this.fcomi(modrm & 7, false, modrm < 0xf0, host);
    return X87_UD;
  }

  private escDbMem(reg: number, linear: number, host: X87Host): number {
    switch (reg) {
      case 0: {
        const v = host.read32(linear);
        extFromSigned(this.tA, v >> 31, v);
        return this.load(this.tA, 0);
      }
      case 2:
      case 3:
        return this.storeInt(linear, 32, reg === 3, host);
      case 5: {
        const lo = host.read32(linear);
        const hi = host.read32((linear + 4) >>> 0);
        const se = host.read16((linear + 8) >>> 0);
        this.tA.set((se >> 15) & 1, se & 0x7fff, hi, lo);
        return this.load(this.tA, 0);
      }
      case 7: {
        // FSTP m80: the flags of a stack underflow are raised only once the store has succeeded.
        const empty = this.emptyAt(0);
        if (empty && (this.cw & EX_IE) === 0) {
          this.underflow(); // unmasked: nothing is stored
          return X87_OK;
        }
        if (empty) setIndefinite(this.tA);
        else this.tA.copyFrom(this.st(0));
        writeExt(host, linear, this.tA);
        if (empty) this.underflow();
        this.setC1(false);
        this.pop();
        return X87_OK;
      }
      default:
        return X87_UD; // /1 FISTTP (SSE3, not advertised), /4, /6
    }
  }

  // ---- ESC DD --------------------------------------------------------------------------------------

  private escDdMem(reg: number, linear: number, operand32: boolean, host: X87Host): number {
    switch (reg) {
      case 0: {
        const lo = host.read32(linear) >>> 0;
        const hi = host.read32((linear + 4) >>> 0) >>> 0;
        const flags = extFromDouble(this.tA, hi, lo);
        return this.load(this.tA, flags);
      }
      case 2:
      case 3:
        return this.storeReal(linear, true, reg === 3, host);
      case 4:
        return this.frstor(linear, operand32, host);
      case 6:
        return this.fnsave(linear, operand32, host);
      case 7:
        host.write16(linear, this.statusWord);
        return X87_OK;
      default:
        return X87_UD; // /1 FISTTP, /5
    }
  }

  private escDdReg(reg: number, i: number): number {
    switch (reg) {
      case 0:
        this.empty |= 1 << this.phys(i); // FFREE
        return X87_OK;
      case 1:
        return this.fxch(i); // reserved alias
      case 2:
      case 3:
        return this.fstReg(i, reg === 3);
      case 4:
        return this.fcomReg(i, 0, true);
      case 5:
        return this.fcomReg(i, 1, true);
      default:
        return X87_UD;
    }
  }

  private fstReg(i: number, pop: boolean): number {
    if (this.emptyAt(0)) {
      if (!this.underflow()) return X87_OK;
      setIndefinite(this.tA);
    } else this.tA.copyFrom(this.st(0));
    this.store(i, this.tA);
    this.setC1(false);
    if (pop) this.pop();
    return X87_OK;
  }

  // ---- ESC DE / DF ---------------------------------------------------------------------------------

  private escDeReg(reg: number, i: number): number {
    if (reg === 2) return this.fcomReg(i, 1, false); // reserved alias of FCOMP
    if (reg === 3) return i === 1 ? this.fcomReg(1, 2, false) : X87_UD; // FCOMPP
    return this.arithTo(reg, i, this.st(i), i, true, 0);
  }

  private escDfReg(modrm: number, host: X87Host): number {
    const i = modrm & 7;
    if (modrm < 0xc8) {
      // FFREEP (undocumented but present on every P6): free ST(i), then pop.
      this.empty |= 1 << this.phys(i);
      this.pop();
      return X87_OK;
    }
    if (modrm < 0xd0) return this.fxch(i);
    if (modrm < 0xe0) return this.fstReg(i, true);
    if (modrm === 0xe0) {
      host.writeAx(this.statusWord);
      return X87_OK;
    }
    if (modrm >= 0xe8 && modrm < 0xf8) return this.fcomi(i, true, modrm < 0xf0, host);
    return X87_UD;
  }

  private escDfMem(reg: number, linear: number, host: X87Host): number {
    switch (reg) {
      case 0: {
        const v = host.read16(linear);
        extFromSigned(this.tA, (v << 16) >> 31, (v << 16) >> 16);
        return this.load(this.tA, 0);
      }
      case 2:
      case 3:
        return this.storeInt(linear, 16, reg === 3, host);
      case 4: {
        for (let k = 0; k < 10; k++) this.bytes[k] = host.read8((linear + k) >>> 0);
        extFromBcd(this.tA, this.bytes);
        return this.load(this.tA, 0);
      }
      case 5: {
        const lo = host.read32(linear);
        const hi = host.read32((linear + 4) >>> 0);
        extFromSigned(this.tA, hi, lo);
        return this.load(this.tA, 0);
      }
      case 6:
        return this.fbstp(linear, host);
      case 7:
        return this.storeInt(linear, 64, true, host);
      default:
        return X87_UD; // /1 FISTTP
    }
  }

  // ---- stores to memory ----------------------------------------------------------------------------

  private storeReal(linear: number, dbl: boolean, pop: boolean, host: X87Host): number {
    let flags: number;
    if (this.emptyAt(0)) {
      flags = EX_IE | EX_SF;
      if (this.blocks(flags)) {
        this.setC1(false);
        this.raise(flags);
        return X87_OK;
      }
      setIndefinite(this.tA);
      packFloat(this.tA, dbl ? 53 : 24, 0, this.cw);
    } else {
      flags = packFloat(this.st(0), dbl ? 53 : 24, this.rc(), this.cw);
      // Unmasked IE/OE/UE/DE: nothing is stored and nothing popped.
      if (flags & ~this.cw & 0x1f) {
        this.setC1((flags & ROUNDED_UP) !== 0);
        this.raise(flags);
        return X87_OK;
      }
    }
    if (dbl) {
      const lo = bitsLo;
      const hi = bitsHi;
      host.write32(linear, lo);
      host.write32((linear + 4) >>> 0, hi);
    } else host.write32(linear, bitsLo);
    this.setC1((flags & ROUNDED_UP) !== 0);
    this.raise(flags);
    if (pop) this.pop();
    return X87_OK;
  }

  private storeInt(linear: number, bits: number, pop: boolean, host: X87Host): number {
    let flags: number;
    if (this.emptyAt(0)) {
      flags = EX_IE | EX_SF;
      setIndefinite(this.tA);
      extToSigned(this.tA, bits, 0);
    } else flags = extToSigned(this.st(0), bits, this.rc());
    if (this.blocks(flags)) {
      this.setC1(false);
      this.raise(flags);
      return X87_OK;
    }
    const lo = intLo;
    const hi = intHi;
    if (bits === 16) host.write16(linear, lo & 0xffff);
    else {
      host.write32(linear, lo);
      if (bits === 64) host.write32((linear + 4) >>> 0, hi);
    }
    this.setC1((flags & ROUNDED_UP) !== 0);
    this.raise(flags);
    if (pop) this.pop();
    return X87_OK;
  }

  private fbstp(linear: number, host: X87Host): number {
    let flags: number;
    if (this.emptyAt(0)) {
      setIndefinite(this.tA);
      extToBcd(this.tA, 0, this.bytes);
      flags = EX_IE | EX_SF;
    } else flags = extToBcd(this.st(0), this.rc(), this.bytes);
    if (this.blocks(flags)) {
      this.setC1(false);
      this.raise(flags);
      return X87_OK;
    }
    for (let k = 0; k < 10; k++) host.write8((linear + k) >>> 0, this.bytes[k]);
    this.setC1((flags & ROUNDED_UP) !== 0);
    this.raise(flags);
    this.pop();
    return X87_OK;
  }

  // ---- environment and state images ----------------------------------------------------------------

  private fillEnv(): void {
    const env = this.env;
    env.cw = this.cw;
    env.sw = this.statusWord;
    env.tw = this.tagWord;
    env.ip = this.lastIp;
    env.cs = this.lastCs;
    env.opcode = this.lastOpcode;
    env.dp = this.lastDp;
    env.ds = this.lastDs;
  }

  private saveEnv(linear: number, operand32: boolean, host: X87Host): void {
    this.fillEnv();
    writeEnv(host, linear, operand32, this.env);
  }

  private loadEnv(): void {
    const env = this.env;
    this.cw = (env.cw & CW_WRITABLE) | 0x40;
    this.statusWord = env.sw;
    this.tagWord = env.tw;
    this.lastIp = env.ip;
    this.lastCs = env.cs;
    this.lastOpcode = env.opcode;
    this.lastDp = env.dp;
    this.lastDs = env.ds;
    this.updateSummary();
  }

  private fnsave(linear: number, operand32: boolean, host: X87Host): number {
    this.saveEnv(linear, operand32, host);
    const base = envSize(operand32);
    for (let i = 0; i < 8; i++) writeExt(host, (linear + base + 10 * i) >>> 0, this.st(i));
    this.reset();
    return X87_OK;
  }

  private frstor(linear: number, operand32: boolean, host: X87Host): number {
    // Everything is read before anything changes, so a fault on the last byte leaves the FPU intact.
    readEnv(host, linear, operand32, this.env);
    const base = envSize(operand32);
    for (let i = 0; i < 8; i++) {
      const at = (linear + base + 10 * i) >>> 0;
      const lo = host.read32(at);
      const hi = host.read32((at + 4) >>> 0);
      const se = host.read16((at + 8) >>> 0);
      this.saveRegs[i].set((se >> 15) & 1, se & 0x7fff, hi, lo);
    }
    this.loadEnv();
    for (let i = 0; i < 8; i++) this.regs[this.phys(i)].copyFrom(this.saveRegs[i]);
    return X87_OK;
  }
}

/** The DA-form condition of an FCMOVcc (B, E, BE, U by ModRM bits 3–4); the DB forms negate it. */
function fcmovCondition(eflags: number, modrm: number): boolean {
  switch ((modrm >> 3) & 3) {
    case 0:
      return (eflags & 1) !== 0;
    case 1:
      return (eflags & 0x40) !== 0;
    case 2:
      return (eflags & 0x41) !== 0;
    default:
      return (eflags & 4) !== 0;
  }
}

/** Writes a 10-byte image through the host. */
function writeExt(host: X87Host, linear: number, x: Ext): void {
  host.write32(linear, x.lo);
  host.write32((linear + 4) >>> 0, x.hi);
  host.write16((linear + 8) >>> 0, ((x.sign << 15) | x.exp) & 0xffff);
}

/** Writes a 10-byte little-endian image into `out` at `off`. */
function putImage(out: Uint8Array, off: number, x: Ext): void {
  for (let k = 0; k < 4; k++) {
    out[off + k] = (x.lo >>> (8 * k)) & 0xff;
    out[off + 4 + k] = (x.hi >>> (8 * k)) & 0xff;
  }
  out[off + 8] = x.exp & 0xff;
  out[off + 9] = ((x.sign << 7) | (x.exp >> 8)) & 0xff;
}

/** Reads a 10-byte little-endian image from `bytes` at `off`. */
function getImage(x: Ext, bytes: Uint8Array, off: number): void {
  let lo = 0;
  let hi = 0;
  for (let k = 3; k >= 0; k--) {
    lo = lo * 256 + bytes[off + k];
    hi = hi * 256 + bytes[off + 4 + k];
  }
  const se = bytes[off + 8] | (bytes[off + 9] << 8);
  x.set(se >> 15, se & 0x7fff, hi, lo);
}

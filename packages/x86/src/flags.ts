/**
 * EFLAGS bit numbers and the lazy-flags machinery of the CPU core.
 *
 * Arithmetic instructions do not compute OF/SF/ZF/AF/PF/CF when they execute: they record the
 * operation kind, its operands and result (see {@link LazyFlags}), and the flags are derived only
 * when something reads them (a Jcc, PUSHF, `getEflags`). Most results are never inspected, so this
 * keeps the ALU fast path to a few stores. `cpu.ts` owns the state; `alu.ts` fills it.
 */

export const FLAG_CF = 1 << 0;
export const FLAG_PF = 1 << 2;
export const FLAG_AF = 1 << 4;
export const FLAG_ZF = 1 << 6;
export const FLAG_SF = 1 << 7;
export const FLAG_TF = 1 << 8;
export const FLAG_IF = 1 << 9;
export const FLAG_DF = 1 << 10;
export const FLAG_OF = 1 << 11;
export const FLAG_IOPL = 3 << 12;
export const FLAG_NT = 1 << 14;
export const FLAG_RF = 1 << 16;
export const FLAG_VM = 1 << 17;
export const FLAG_AC = 1 << 18;
export const FLAG_VIF = 1 << 19;
export const FLAG_VIP = 1 << 20;
export const FLAG_ID = 1 << 21;

/** The six arithmetic status flags. */
export const STATUS_FLAGS = FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF;
/** Bits an i686 lets software set at all (bit 1 always reads 1, VM/VIF/VIP are not supported). */
export const WRITABLE_FLAGS =
  STATUS_FLAGS | FLAG_TF | FLAG_IF | FLAG_DF | FLAG_IOPL | FLAG_NT | FLAG_RF | FLAG_AC | FLAG_ID;

/** Lazy operation kinds: how CF/OF/AF follow from `a`, `b` and the result. */
export const LAZY_ADD = 0;
/** `a + b + 1` (ADC with carry in). */
export const LAZY_ADC = 1;
export const LAZY_SUB = 2;
/** `a - b - 1` (SBB with borrow in). */
export const LAZY_SBB = 3;
/** AND/OR/XOR/TEST: CF = OF = AF = 0. */
export const LAZY_LOGIC = 4;

/** Parity of a byte: 1 when it has an even number of set bits (PF's definition). */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let bits = 0;
  for (let v = i; v !== 0; v >>= 1) bits += v & 1;
  PARITY[i] = bits & 1 ? 0 : 1;
}

/** Sign bit of an operand of `size` bytes (1, 2 or 4), as a signed 32-bit number. */
export function signBit(size: number): number {
  return size === 1 ? 0x80 : size === 2 ? 0x8000 : 0x8000_0000 | 0;
}

/** Value mask of an operand of `size` bytes, as a signed 32-bit number. */
export function sizeMask(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : -1;
}

/**
 * The lazily evaluated part of EFLAGS. `mask` says which status bits must be derived from the
 * recorded operation instead of read from `bits`.
 */
export class LazyFlags {
  /** The architectural flags, valid for every bit not in `mask`. */
  bits = 0x2;
  /** Status bits to derive from the recorded operation. */
  mask = 0;
  op = LAZY_LOGIC;
  a = 0;
  b = 0;
  result = 0;
  /** Operand size in bytes: 1, 2 or 4. */
  size = 4;

  /** Records an operation; every status flag becomes lazy. */
  set(op: number, a: number, b: number, result: number, size: number): void {
    this.op = op;
    this.a = a;
    this.b = b;
    this.result = result;
    this.size = size;
    this.mask = STATUS_FLAGS;
  }

  cf(): number {
    if ((this.mask & FLAG_CF) === 0) return this.bits & FLAG_CF;
    const m = sizeMask(this.size);
    const a = (this.a & m) >>> 0;
    switch (this.op) {
      case LAZY_ADD:
        return (this.result & m) >>> 0 < a ? 1 : 0;
      case LAZY_ADC:
        return (this.result & m) >>> 0 <= a ? 1 : 0;
      case LAZY_SUB:
        return a < (this.b & m) >>> 0 ? 1 : 0;
      case LAZY_SBB:
        return a <= (this.b & m) >>> 0 ? 1 : 0;
      default:
        return 0;
    }
  }

  pf(): number {
    if ((this.mask & FLAG_PF) === 0) return this.bits & FLAG_PF;
    return PARITY[this.result & 0xff] << 2;
  }

  af(): number {
    if ((this.mask & FLAG_AF) === 0) return this.bits & FLAG_AF;
    if (this.op === LAZY_LOGIC) return 0;
    return (this.a ^ this.b ^ this.result) & FLAG_AF;
  }

  zf(): number {
    if ((this.mask & FLAG_ZF) === 0) return this.bits & FLAG_ZF;
    return (this.result & sizeMask(this.size)) === 0 ? FLAG_ZF : 0;
  }

  sf(): number {
    if ((this.mask & FLAG_SF) === 0) return this.bits & FLAG_SF;
    return (this.result & signBit(this.size)) !== 0 ? FLAG_SF : 0;
  }

  of(): number {
    if ((this.mask & FLAG_OF) === 0) return this.bits & FLAG_OF;
    const s = signBit(this.size);
    switch (this.op) {
      case LAZY_ADD:
      case LAZY_ADC:
        return ((this.a ^ this.result) & (this.b ^ this.result) & s) !== 0 ? FLAG_OF : 0;
      case LAZY_SUB:
      case LAZY_SBB:
        return ((this.a ^ this.b) & (this.a ^ this.result) & s) !== 0 ? FLAG_OF : 0;
      default:
        return 0;
    }
  }

  /** Folds the lazy bits into `bits` and returns the whole register (bit 1 set). */
  get(): number {
    if (this.mask !== 0) {
      const derived = this.cf() | this.pf() | this.af() | this.zf() | this.sf() | this.of();
      this.bits = (this.bits & ~STATUS_FLAGS) | derived;
      this.mask = 0;
    }
    return this.bits | 0x2;
  }

  /** Makes the given status bits eager with these values (other lazy bits stay lazy). */
  setSome(which: number, values: number): void {
    this.bits = (this.bits & ~which) | (values & which);
    this.mask &= ~which;
  }

  /** Replaces the whole register. */
  load(value: number): void {
    this.bits = (value & (WRITABLE_FLAGS | FLAG_VM | FLAG_VIF | FLAG_VIP)) | 0x2;
    this.mask = 0;
  }

  /** Evaluates condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc). */
  test(cc: number): boolean {
    let r: boolean;
    switch (cc >> 1) {
      case 0:
        r = this.of() !== 0;
        break;
      case 1:
        r = this.cf() !== 0;
        break;
      case 2:
        r = this.zf() !== 0;
        break;
      case 3:
        r = this.cf() !== 0 || this.zf() !== 0;
        break;
      case 4:
        r = this.sf() !== 0;
        break;
      case 5:
        r = this.pf() !== 0;
        break;
      case 6:
        r = (this.sf() !== 0) !== (this.of() !== 0);
        break;
      default:
        r = this.zf() !== 0 || (this.sf() !== 0) !== (this.of() !== 0);
        break;
    }
    return (cc & 1) === 0 ? r : !r;
  }
}

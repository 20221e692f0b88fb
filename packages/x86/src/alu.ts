/**
 * The integer ALU: the eight classic operations, shifts and rotates (including RCL/RCR and
 * SHLD/SHRD), multiply and divide, and the BCD adjustments. Each function takes operands already
 * masked to the operand size, returns the result and records flags in the CPU's lazy flags
 * (`flags.ts`). Called from `execute.ts`; divide faults raise #DE through the CPU.
 */
import { type Cpu, REG_EAX, REG_EDX } from './cpu.js';
import { VEC_DE } from './fault.js';
import {
  FLAG_AF,
  FLAG_CF,
  FLAG_OF,
  LAZY_ADC,
  LAZY_ADD,
  LAZY_LOGIC,
  LAZY_SBB,
  LAZY_SUB,
  type LazyFlags,
  signBit,
  sizeMask,
} from './flags.js';

/** ALU operation numbers, as in the opcode's bits 3–5 and group 1's ModRM.reg. */
export const ALU_ADD = 0;
export const ALU_OR = 1;
export const ALU_ADC = 2;
export const ALU_SBB = 3;
export const ALU_AND = 4;
export const ALU_SUB = 5;
export const ALU_XOR = 6;
export const ALU_CMP = 7;

/** Applies ALU operation `op` to `a` and `b` (`size` bytes), records flags and returns the result. */
export function alu(f: LazyFlags, op: number, a: number, b: number, size: number): number {
  let r: number;
  switch (op) {
    case ALU_ADD:
      r = (a + b) | 0;
      f.set(LAZY_ADD, a, b, r, size);
      return r;
    case ALU_OR:
      r = a | b;
      f.set(LAZY_LOGIC, a, b, r, size);
      return r;
    case ALU_ADC: {
      const cf = f.cf();
      r = (a + b + cf) | 0;
      f.set(cf ? LAZY_ADC : LAZY_ADD, a, b, r, size);
      return r;
    }
    case ALU_SBB: {
      const cf = f.cf();
      r = (a - b - cf) | 0;
      f.set(cf ? LAZY_SBB : LAZY_SUB, a, b, r, size);
      return r;
    }
    case ALU_AND:
      r = a & b;
      f.set(LAZY_LOGIC, a, b, r, size);
      return r;
    case ALU_XOR:
      r = a ^ b;
      f.set(LAZY_LOGIC, a, b, r, size);
      return r;
    default:
      r = (a - b) | 0;
      f.set(LAZY_SUB, a, b, r, size);
      return r;
  }
}

/** INC: like ADD 1 but CF is kept. */
export function inc(f: LazyFlags, a: number, size: number): number {
  const cf = f.cf();
  const r = (a + 1) | 0;
  f.set(LAZY_ADD, a, 1, r, size);
  f.setSome(FLAG_CF, cf);
  return r;
}

/** DEC: like SUB 1 but CF is kept. */
export function dec(f: LazyFlags, a: number, size: number): number {
  const cf = f.cf();
  const r = (a - 1) | 0;
  f.set(LAZY_SUB, a, 1, r, size);
  f.setSome(FLAG_CF, cf);
  return r;
}

/** Sets SF/ZF/PF from `r` and CF/OF from the arguments; AF cleared. */
function resultFlags(f: LazyFlags, r: number, size: number, cf: number, of: boolean): void {
  f.set(LAZY_LOGIC, 0, 0, r, size);
  f.setSome(FLAG_CF | FLAG_OF | FLAG_AF, (cf & 1) | (of ? FLAG_OF : 0));
}

/**
 * Group 2: ROL, ROR, RCL, RCR, SHL, SHR, SAL, SAR (`op` = ModRM.reg) of `a` by `count` (already
 * masked to 5 bits). A zero count changes nothing, flags included.
 */
export function shift(f: LazyFlags, op: number, a: number, count: number, size: number): number {
  if (count === 0) return a;
  const bits = size * 8;
  const mask = sizeMask(size);
  const sign = signBit(size);
  a &= mask;
  switch (op) {
    case 0: {
      // ROL
      const n = count % bits;
      const r = n === 0 ? a : ((a << n) | (a >>> (bits - n))) & mask;
      const cf = r & 1;
      const of = ((r & sign) !== 0) !== (cf !== 0);
      f.setSome(FLAG_CF | FLAG_OF, cf | (of ? FLAG_OF : 0));
      return r;
    }
    case 1: {
      // ROR
      const n = count % bits;
      const r = n === 0 ? a : ((a >>> n) | (a << (bits - n))) & mask;
      const cf = (r & sign) !== 0 ? 1 : 0;
      const of = ((r ^ (r << 1)) & sign) !== 0;
      f.setSome(FLAG_CF | FLAG_OF, cf | (of ? FLAG_OF : 0));
      return r;
    }
    case 2: {
      // RCL: rotate through CF, period bits + 1.
      const n = count % (bits + 1);
      let cf = f.cf();
      let r = a;
      for (let i = 0; i < n; i++) {
        const out = (r & sign) !== 0 ? 1 : 0;
        r = ((r << 1) | cf) & mask;
        cf = out;
      }
      const of = ((r & sign) !== 0) !== (cf !== 0);
      f.setSome(FLAG_CF | FLAG_OF, cf | (of ? FLAG_OF : 0));
      return r;
    }
    case 3: {
      // RCR
      const n = count % (bits + 1);
      let cf = f.cf();
      let r = a;
      for (let i = 0; i < n; i++) {
        const out = r & 1;
        r = ((r >>> 1) | (cf ? sign : 0)) & mask;
        cf = out;
      }
      const of = ((r ^ (r << 1)) & sign) !== 0;
      f.setSome(FLAG_CF | FLAG_OF, cf | (of ? FLAG_OF : 0));
      return r;
    }
    case 4:
    case 6: {
      // SHL/SAL
      const r = count >= 32 ? 0 : (a << count) & mask;
      const cf = count <= bits ? (a >>> (bits - count)) & 1 : 0;
      resultFlags(f, r, size, cf, ((r & sign) !== 0) !== (cf !== 0));
      return r;
    }
    case 5: {
      // SHR
      const r = a >>> count;
      const cf = count <= bits ? (a >>> (count - 1)) & 1 : 0;
      resultFlags(f, r, size, cf, (a & sign) !== 0);
      return r;
    }
    default: {
      // SAR
      const s = size === 4 ? a | 0 : size === 2 ? (a << 16) >> 16 : (a << 24) >> 24;
      const r = (s >> count) & mask;
      const cf = (s >> (count - 1)) & 1;
      resultFlags(f, r, size, cf, false);
      return r;
    }
  }
}

/** SHLD (`left`) / SHRD of `a` with bits from `b`, by `count` (masked to 5 bits). */
export function shiftDouble(
  f: LazyFlags,
  left: boolean,
  a: number,
  b: number,
  count: number,
  size: number,
): number {
  if (count === 0) return a;
  const sign = signBit(size);
  let r: number;
  let cf: number;
  if (size === 4) {
    if (left) {
      r = (a << count) | (b >>> (32 - count));
      cf = (a >>> (32 - count)) & 1;
    } else {
      r = (a >>> count) | (b << (32 - count));
      cf = (a >>> (count - 1)) & 1;
    }
  } else {
    // 16 bits: shift the 32-bit concatenation (counts above 16 are undefined by the architecture).
    a &= 0xffff;
    b &= 0xffff;
    if (left) {
      const x = ((a << 16) | b) >>> 0;
      r = count <= 16 ? (x << count) >>> 16 : ((b << (count - 16)) | (a >>> (32 - count))) & 0xffff;
      cf = count <= 16 ? (a >>> (16 - count)) & 1 : (b >>> (32 - count)) & 1;
    } else {
      const x = ((b << 16) | a) >>> 0;
      r = count <= 16 ? (x >>> count) & 0xffff : ((b >>> (count - 16)) | (a << (32 - count))) & 0xffff;
      cf = count <= 16 ? (a >>> (count - 1)) & 1 : (b >>> (count - 17)) & 1;
    }
  }
  resultFlags(f, r, size, cf, ((r ^ a) & sign) !== 0);
  return r;
}

/** The CPU's scratch for 64-bit products: low and high halves. */
let productLo = 0;
let productHi = 0;

/** Unsigned 32×32 → 64 multiply into productLo/productHi. */
function mulU32(a: number, b: number): void {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  productLo = (ll & 0xffff) | (mid << 16) | 0;
  productHi = (ah * bh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) | 0;
}

/** Signed 32×32 → 64 multiply into productLo/productHi. */
function mulS32(a: number, b: number): void {
  mulU32(a, b);
  let hi = productHi;
  if (a < 0) hi = (hi - b) | 0;
  if (b < 0) hi = (hi - a) | 0;
  productHi = hi;
}

/** MUL/IMUL with the accumulator (group 3 /4 and /5); `signed` selects IMUL. */
export function mulAcc(c: Cpu, src: number, size: number, signed: boolean): void {
  const regs = c.regs;
  const f = c.flags;
  if (size === 1) {
    const al = regs[REG_EAX] & 0xff;
    const r = signed ? ((al << 24) >> 24) * ((src << 24) >> 24) : al * (src & 0xff);
    c.setReg16(REG_EAX, r);
    const over = signed ? r !== (r << 24) >> 24 : (r & 0xff00) !== 0;
    resultFlags(f, r, 1, over ? 1 : 0, over);
  } else if (size === 2) {
    const ax = regs[REG_EAX] & 0xffff;
    const r = signed ? ((ax << 16) >> 16) * ((src << 16) >> 16) : ax * (src & 0xffff);
    c.setReg16(REG_EAX, r);
    c.setReg16(REG_EDX, r >> 16);
    const over = signed ? r !== (r << 16) >> 16 : (r & 0xffff_0000) !== 0;
    resultFlags(f, r, 2, over ? 1 : 0, over);
  } else {
    if (signed) mulS32(regs[REG_EAX], src);
    else mulU32(regs[REG_EAX], src);
    regs[REG_EAX] = productLo;
    regs[REG_EDX] = productHi;
    const over = signed ? productHi !== productLo >> 31 : productHi !== 0;
    resultFlags(f, productLo, 4, over ? 1 : 0, over);
  }
}

/** Two- and three-operand IMUL: returns the truncated product of signed `a` and `b`. */
export function imulTrunc(f: LazyFlags, a: number, b: number, size: number): number {
  let r: number;
  let over: boolean;
  if (size === 2) {
    const full = ((a << 16) >> 16) * ((b << 16) >> 16);
    r = full & 0xffff;
    over = full !== (full << 16) >> 16;
  } else {
    mulS32(a | 0, b | 0);
    r = productLo;
    over = productHi !== productLo >> 31;
  }
  resultFlags(f, r, size, over ? 1 : 0, over);
  return r;
}

/** DIV/IDIV of the accumulator by `src` (group 3 /6 and /7); raises #DE on zero or overflow. */
export function divAcc(c: Cpu, src: number, size: number, signed: boolean): void {
  const regs = c.regs;
  if (size === 1) {
    const ax = regs[REG_EAX] & 0xffff;
    const d = signed ? (src << 24) >> 24 : src & 0xff;
    if (d === 0) c.raise(VEC_DE, -1);
    const n = signed ? (ax << 16) >> 16 : ax;
    const q = Math.trunc(n / d);
    const rem = n - q * d;
    if (signed ? q > 127 || q < -128 : q > 0xff) c.raise(VEC_DE, -1);
    c.setReg16(REG_EAX, (q & 0xff) | ((rem & 0xff) << 8));
  } else if (size === 2) {
    const n0 = ((regs[REG_EDX] & 0xffff) << 16) | (regs[REG_EAX] & 0xffff);
    const d = signed ? (src << 16) >> 16 : src & 0xffff;
    if (d === 0) c.raise(VEC_DE, -1);
    const n = signed ? n0 : n0 >>> 0;
    const q = Math.trunc(n / d);
    const rem = n - q * d;
    if (signed ? q > 32767 || q < -32768 : q > 0xffff) c.raise(VEC_DE, -1);
    c.setReg16(REG_EAX, q);
    c.setReg16(REG_EDX, rem);
  } else {
    const d = src | 0;
    if (d === 0) c.raise(VEC_DE, -1);
    let hi = regs[REG_EDX];
    let lo = regs[REG_EAX];
    if (!signed) {
      const q = divU64(c, hi >>> 0, lo >>> 0, d >>> 0);
      regs[REG_EAX] = q;
      regs[REG_EDX] = divRemainder;
      return;
    }
    const negN = hi < 0;
    if (negN) {
      // Two's-complement negate the 64-bit dividend.
      lo = -lo | 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) | 0;
    }
    const negD = d < 0;
    const ad = negD ? -d >>> 0 : d >>> 0;
    const q = divU64(c, hi >>> 0, lo >>> 0, ad) >>> 0;
    const negQ = negN !== negD;
    if (negQ ? q > 0x8000_0000 : q > 0x7fff_ffff) c.raise(VEC_DE, -1);
    regs[REG_EAX] = negQ ? -q | 0 : q | 0;
    regs[REG_EDX] = negN ? -divRemainder | 0 : divRemainder | 0;
  }
}

let divRemainder = 0;

/** Unsigned 64/32 division; #DE when the quotient does not fit 32 bits. Remainder in divRemainder. */
function divU64(c: Cpu, hi: number, lo: number, d: number): number {
  if (hi >= d) c.raise(VEC_DE, -1);
  // Long division in 16-bit steps keeps every intermediate below 2^53.
  let r = hi * 65536 + (lo >>> 16);
  const q1 = Math.floor(r / d);
  r -= q1 * d;
  r = r * 65536 + (lo & 0xffff);
  const q0 = Math.floor(r / d);
  r -= q0 * d;
  divRemainder = r | 0;
  return (q1 * 65536 + q0) | 0;
}

/** DAA, DAS, AAA, AAS (opcode 27, 2F, 37, 3F). */
export function bcdAdjust(c: Cpu, op: number): void {
  const f = c.flags;
  const regs = c.regs;
  const al = regs[REG_EAX] & 0xff;
  const cf = f.cf();
  const af = f.af() !== 0;
  switch (op) {
    case 0x27: {
      let r = al;
      let newCf = 0;
      let newAf = 0;
      if ((al & 0xf) > 9 || af) {
        r += 6;
        newCf = cf | (r > 0xff ? 1 : 0);
        newAf = FLAG_AF;
      }
      if (al > 0x99 || cf) {
        r += 0x60;
        newCf = 1;
      }
      r &= 0xff;
      c.setReg8(REG_EAX, r);
      f.set(LAZY_LOGIC, 0, 0, r, 1);
      f.setSome(FLAG_CF | FLAG_AF | FLAG_OF, newCf | newAf);
      return;
    }
    case 0x2f: {
      let r = al;
      let newCf = 0;
      let newAf = 0;
      if ((al & 0xf) > 9 || af) {
        r -= 6;
        newCf = cf | (al < 6 ? 1 : 0);
        newAf = FLAG_AF;
      }
      if (al > 0x99 || cf) {
        r -= 0x60;
        newCf = 1;
      }
      r &= 0xff;
      c.setReg8(REG_EAX, r);
      f.set(LAZY_LOGIC, 0, 0, r, 1);
      f.setSome(FLAG_CF | FLAG_AF | FLAG_OF, newCf | newAf);
      return;
    }
    default: {
      const adjust = (al & 0xf) > 9 || af;
      let ax = regs[REG_EAX] & 0xffff;
      if (adjust) {
        ax = op === 0x37 ? ax + 0x106 : ax - 6 - 0x100;
      }
      ax = ax & 0xff0f & 0xffff;
      c.setReg16(REG_EAX, ax);
      f.set(LAZY_LOGIC, 0, 0, ax & 0xff, 1);
      f.setSome(FLAG_CF | FLAG_AF | FLAG_OF, adjust ? FLAG_CF | FLAG_AF : 0);
    }
  }
}

/** AAM imm8 (#DE on 0) and AAD imm8. */
export function asciiAdjustMulDiv(c: Cpu, isAam: boolean, base: number): void {
  const regs = c.regs;
  const al = regs[REG_EAX] & 0xff;
  const ah = (regs[REG_EAX] >> 8) & 0xff;
  let r: number;
  if (isAam) {
    if (base === 0) c.raise(VEC_DE, -1);
    r = al % base;
    c.setReg16(REG_EAX, r | (Math.floor(al / base) << 8));
  } else {
    r = (al + ah * base) & 0xff;
    c.setReg16(REG_EAX, r);
  }
  c.flags.set(LAZY_LOGIC, 0, 0, r, 1);
}

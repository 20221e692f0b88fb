/**
 * The number formats of the x87 FPU: the 80-bit double-extended register image, and the conversions
 * between it and the memory formats (single, double, 16/32/64-bit integers, 18-digit packed BCD), each
 * rounded under the control word's rounding control with the exception flags the hardware would raise.
 *
 * `X87` (x87.ts) keeps every register as an exact 80-bit image ({@link Ext}) and calls these functions
 * for every load, store and result write-back; the arithmetic itself is in x87-arith.ts. Everything here
 * works on 32-bit halves held in plain numbers (no BigInt except for BCD), so nothing allocates.
 */

/** Rounding-control values (control word bits 10–11). */
export const RC_NEAREST = 0;
export const RC_DOWN = 1;
export const RC_UP = 2;
export const RC_CHOP = 3;

/** Exception flags, at their status-word bit positions. */
export const EX_IE = 0x01;
export const EX_DE = 0x02;
export const EX_ZE = 0x04;
export const EX_OE = 0x08;
export const EX_UE = 0x10;
export const EX_PE = 0x20;
export const EX_SF = 0x40;
/** Not an exception: "the result was rounded up in magnitude", reported as C1 (status-word bit 9). */
export const ROUNDED_UP = 0x200;

/** Exponent bias of the 80-bit format; 0x7FFF is the infinity/NaN exponent. */
export const EXT_BIAS = 16383;
export const EXT_EXP_MAX = 0x7fff;
/** How far an unmasked overflow/underflow result's exponent is wrapped (the "bias adjust"). */
const BIAS_ADJUST = 24576;

const TWO32 = 4294967296;
const TWO31 = 2147483648;

/**
 * One 80-bit register image: sign, 15-bit biased exponent, and the 64-bit significand with its explicit
 * integer bit (bit 31 of `hi`).
 */
export class Ext {
  sign = 0;
  exp = 0;
  hi = 0;
  lo = 0;

  set(sign: number, exp: number, hi: number, lo: number): this {
    this.sign = sign;
    this.exp = exp;
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
    return this;
  }

  copyFrom(o: Ext): this {
    this.sign = o.sign;
    this.exp = o.exp;
    this.hi = o.hi;
    this.lo = o.lo;
    return this;
  }

  isZero(): boolean {
    return this.exp === 0 && this.hi === 0 && this.lo === 0;
  }
  /** NaN of any kind, including the unsupported pseudo-NaNs (integer bit clear). */
  isNaN(): boolean {
    return this.exp === EXT_EXP_MAX && ((this.hi & 0x7fffffff) !== 0 || this.lo !== 0);
  }
  isInf(): boolean {
    return this.exp === EXT_EXP_MAX && this.hi === 0x80000000 && this.lo === 0;
  }
  isSignaling(): boolean {
    return this.isNaN() && (this.hi & 0x40000000) === 0;
  }
  /** A denormal or pseudo-denormal (exponent 0, significand non-zero). */
  isDenormal(): boolean {
    return this.exp === 0 && (this.hi !== 0 || this.lo !== 0);
  }
  /**
   * An encoding the 387 and later reject as an operand (#IA): unnormals, pseudo-NaNs and pseudo-infinities,
   * i.e. a non-zero exponent with the integer bit clear.
   */
  isUnsupported(): boolean {
    return this.exp !== 0 && (this.hi & 0x80000000) === 0;
  }
}

/** The default NaN ("QNaN floating-point indefinite") the FPU produces for a masked invalid operation. */
export function setIndefinite(x: Ext): void {
  x.set(1, EXT_EXP_MAX, 0xc0000000, 0);
}

// ---- scratch views for bit access to doubles and singles --------------------------------------------
const f64 = new Float64Array(1);
const u32of64 = new Uint32Array(f64.buffer);
const f32 = new Float32Array(1);
const u32of32 = new Uint32Array(f32.buffer);
/** Which word of the double view is the low one (typed arrays use the host's byte order). */
const LO = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/** Low and high words of a double's bit pattern, into bitsLo and bitsHi. */
export function doubleBits(x: number): void {
  f64[0] = x;
  bitsLo = u32of64[LO];
  bitsHi = u32of64[HI];
}
/** The double with bit pattern `hi:lo`. */
export function doubleFromBits(hi: number, lo: number): number {
  u32of64[LO] = lo;
  u32of64[HI] = hi;
  return f64[0];
}
/** The bit pattern of `x` rounded to single precision (nearest). */
export function floatBits(x: number): number {
  f32[0] = x;
  return u32of32[0];
}
/** The single with bit pattern `bits`, as a number. */
export function floatFromBits(bits: number): number {
  u32of32[0] = bits;
  return f32[0];
}
/** Outputs of {@link doubleBits} and of the packers below (two 32-bit words). */
export let bitsLo = 0;
export let bitsHi = 0;

/** 2^e as a double for any integer e (0 or Infinity outside the double range). */
function pow2(e: number): number {
  if (e >= -1022 && e <= 1023) return doubleFromBits(((e + 1023) << 20) >>> 0, 0);
  if (e > 1023) return e > 2098 ? Number.POSITIVE_INFINITY : pow2(1023) * pow2(e - 1023);
  return e < -1075 ? 0 : pow2(-1022) * pow2(e + 1022);
}

// ---- the rounding core -------------------------------------------------------------------------------
// A finite value is handled as `2^(E-63) * (h1 * 2^32 + h0 + frac)`: two 32-bit integers held in doubles and
// a "fraction class" summarising what lies below bit 0 (0: nothing, 1: less than half, 2: exactly half,
// 3: more than half). Rounding drops the low k bits and decides, from the dropped bits and the rounding
// control, whether to add one unit at bit k.

/** Fraction classes. */
export const FRAC_ZERO = 0;
export const FRAC_LOW = 1;
export const FRAC_HALF = 2;
export const FRAC_HIGH = 3;

/** 2^0 … 2^64, so the rounding core does no exponentiation. */
const POW2 = Float64Array.from({ length: 65 }, (_, i) => 2 ** i);

let rH1 = 0;
let rH0 = 0;
let rInexact = false;
let rCarry = false;

function classify(dh: number, dl: number, hh: number, hl: number, fc: number): number {
  // Compares dropped bits (dh:dl + fraction) with half a unit (hh:hl).
  if (dh > hh || (dh === hh && dl > hl)) return FRAC_HIGH;
  if (dh === hh && dl === hl) return fc === FRAC_ZERO ? FRAC_HALF : FRAC_HIGH;
  return dh === 0 && dl === 0 && fc === FRAC_ZERO ? FRAC_ZERO : FRAC_LOW;
}

/**
 * Rounds `h1:h0 + frac` to a multiple of 2^k (k >= 0). Leaves the result, still aligned at bit 0, in
 * rH1:rH0; rCarry is set when it reached 2^64 (rH1 = 2^32), or, for k >= 64, when it became 2^k (then
 * rH1:rH0 is 0 and the caller places the unit). rInexact says whether anything was dropped.
 */
function roundBits(h1: number, h0: number, fc: number, k: number, neg: boolean, rc: number): void {
  let cls: number;
  let odd: number;
  if (k === 0) {
    cls = fc;
    odd = h0 % 2;
  } else if (k < 32) {
    const unit = POW2[k];
    const d = h0 % unit;
    cls = classify(0, d, 0, unit / 2, fc);
    h0 -= d;
    odd = (h0 / unit) % 2;
  } else if (k < 64) {
    const kk = k - 32;
    const unit = POW2[kk];
    const d1 = h1 % unit;
    cls = kk === 0 ? classify(0, h0, 0, TWO31, fc) : classify(d1, h0, unit / 2, 0, fc);
    h1 -= d1;
    h0 = 0;
    odd = (h1 / unit) % 2;
  } else {
    cls = k === 64 ? classify(h1, h0, TWO31, 0, fc) : h1 === 0 && h0 === 0 && fc === 0 ? 0 : FRAC_LOW;
    h1 = 0;
    h0 = 0;
    odd = 0;
  }
  rInexact = cls !== FRAC_ZERO;
  let inc = false;
  if (rInexact) {
    if (rc === RC_NEAREST) inc = cls === FRAC_HIGH || (cls === FRAC_HALF && odd === 1);
    else if (rc === RC_UP) inc = !neg;
    else if (rc === RC_DOWN) inc = neg;
  }
  rCarry = false;
  if (inc) {
    if (k < 32) {
      h0 += POW2[k];
      if (h0 >= TWO32) {
        h0 -= TWO32;
        h1 += 1;
      }
    } else if (k < 64) {
      h1 += POW2[k - 32];
    } else {
      rCarry = true;
    }
    if (h1 >= TWO32) rCarry = true;
  }
  rH1 = h1;
  rH0 = h0;
  roundedUpLast = inc;
}
let roundedUpLast = false;

/** h1:h0 shifted right by n (0 <= n < 64, the bits shifted out being zero), into rH1:rH0. */
function shiftRight(h1: number, h0: number, n: number): void {
  if (n === 0) {
    rH1 = h1;
    rH0 = h0;
  } else if (n < 32) {
    const u = POW2[n];
    rH0 = (h1 % u) * POW2[32 - n] + Math.floor(h0 / u);
    rH1 = Math.floor(h1 / u);
  } else {
    rH0 = Math.floor(h1 / POW2[n - 32]);
    rH1 = 0;
  }
}

/**
 * Rounds the finite non-zero value `(-1)^neg * 2^(E-63) * (h1:h0 + frac)` (h1 >= 2^31, i.e. normalised) to
 * `p` significant bits (24, 53 or 64: the precision control) in the extended exponent range, into `out`.
 * Returns the raised exceptions (EX_*) and ROUNDED_UP. Unmasked overflow/underflow deliver the result
 * with its exponent wrapped by 24576, as the hardware does for a register destination.
 */
export function packExtended(
  out: Ext,
  neg: boolean,
  E: number,
  h1: number,
  h0: number,
  fc: number,
  p: number,
  rc: number,
  cw: number,
): number {
  let e = E + EXT_BIAS;
  let flags = 0;
  if (e < 1 && (cw & EX_UE) === 0) {
    e += BIAS_ADJUST;
    flags |= EX_UE;
  }
  if (e >= 1) {
    roundBits(h1, h0, fc, 64 - p, neg, rc);
    let r1 = rH1;
    const r0 = rH0;
    if (rCarry) {
      r1 = TWO31;
      e += 1;
    }
    if (rInexact) flags |= EX_PE;
    if (roundedUpLast) flags |= ROUNDED_UP;
    if (e >= EXT_EXP_MAX) return flags | overflow(out, neg, e, r1, r0, p, rc, cw);
    out.set(neg ? 1 : 0, e, r1, r0);
    return flags;
  }
  // Tiny and underflow masked: denormalise. The precision control's rounding point stays at a fixed bit of
  // the stored significand, so a denormal keeps p − s bits (measured: as the memory formats behave).
  const s = 1 - e;
  const k = 64 - p + s;
  roundBits(h1, h0, fc, k, neg, rc);
  if (rInexact) flags |= EX_PE | EX_UE;
  if (roundedUpLast) flags |= ROUNDED_UP;
  if (k >= 64) {
    if (rCarry) {
      // One unit at bit k, which is bit k − s = 64 − p of the denormal significand.
      const b = 64 - p;
      out.set(neg ? 1 : 0, 0, b >= 32 ? 2 ** (b - 32) : 0, b < 32 ? 2 ** b : 0);
    } else {
      out.set(neg ? 1 : 0, 0, 0, 0);
    }
    return flags;
  }
  if (rCarry) {
    // Rounded up to 2^64 units: one place higher.
    if (s === 1) {
      out.set(neg ? 1 : 0, 1, 0x80000000, 0);
      return flags;
    }
    shiftRight(TWO31, 0, s - 1);
  } else {
    shiftRight(rH1, rH0, s);
  }
  out.set(neg ? 1 : 0, rH1 >= TWO31 ? 1 : 0, rH1, rH0);
  return flags;
}

function overflow(
  out: Ext,
  neg: boolean,
  e: number,
  h1: number,
  h0: number,
  p: number,
  rc: number,
  cw: number,
) {
  if ((cw & EX_OE) === 0 && e - BIAS_ADJUST < EXT_EXP_MAX) {
    out.set(neg ? 1 : 0, e - BIAS_ADJUST, h1, h0);
    return EX_OE;
  }
  // Masked, or too large even for the wrapped exponent: the masked response (OE still raised).
  if (rc === RC_NEAREST || (rc === RC_UP && !neg) || (rc === RC_DOWN && neg)) {
    out.set(neg ? 1 : 0, EXT_EXP_MAX, 0x80000000, 0);
    return EX_OE | EX_PE | ROUNDED_UP;
  }
  // The largest finite number with p significant bits (p = 24, 53 or 64).
  const hi = p >= 32 ? 0xffffffff : (0xffffffff << (32 - p)) >>> 0;
  const lo = p <= 32 ? 0 : p === 64 ? 0xffffffff : (0xffffffff << (64 - p)) >>> 0;
  out.set(neg ? 1 : 0, EXT_EXP_MAX - 1, hi, lo);
  return EX_OE | EX_PE;
}

/** Unbiased exponent of the integer bit of a finite image (denormals count as 2^-16382). */
export function unbiased(x: Ext): number {
  return (x.exp === 0 ? 1 : x.exp) - EXT_BIAS;
}

/**
 * Normalises a finite non-zero image in place (denormals and unnormals get their leading bit to bit 63,
 * with an exponent below the format's range) and returns its unbiased exponent; the significand words are
 * left in nH1:nH0.
 */
export function normalise(x: Ext): number {
  let E = unbiased(x);
  let h = x.hi;
  let l = x.lo;
  if (h === 0) {
    h = l;
    l = 0;
    E -= 32;
  }
  const z = Math.clz32(h);
  if (z > 0) {
    h = ((h << z) | (l >>> (32 - z))) >>> 0;
    l = (l << z) >>> 0;
    E -= z;
  }
  nH1 = h;
  nH0 = l;
  return E;
}
export let nH1 = 0;
export let nH0 = 0;

/** Re-rounds a finite image to another precision/exponent range for a register destination. */
export function roundExt(out: Ext, x: Ext, p: number, rc: number, cw: number): number {
  if (x.isZero()) {
    out.copyFrom(x);
    return 0;
  }
  const E = normalise(x);
  return packExtended(out, x.sign === 1, E, nH1, nH0, FRAC_ZERO, p, rc, cw);
}

// ---- memory formats: single and double ---------------------------------------------------------------

/** Loads a single (bit pattern) exactly. Returns EX_DE for a denormal source, EX_IE for an SNaN (quietened). */
export function extFromFloat(out: Ext, bits: number): number {
  const sign = bits >>> 31;
  const e = (bits >>> 23) & 0xff;
  const f = bits & 0x7fffff;
  if (e === 0xff) {
    out.set(sign, EXT_EXP_MAX, (0x80000000 | (f << 8)) >>> 0, 0);
    if (f === 0) return 0;
    if ((f & 0x400000) === 0) {
      out.hi = (out.hi | 0x40000000) >>> 0;
      return EX_IE;
    }
    return 0;
  }
  if (e === 0) {
    if (f === 0) {
      out.set(sign, 0, 0, 0);
      return 0;
    }
    const z = Math.clz32(f) - 8; // leading zeros within the 24-bit significand field
    out.set(sign, EXT_BIAS - 126 - z, (f << (8 + z)) >>> 0, 0);
    return EX_DE;
  }
  out.set(sign, e - 127 + EXT_BIAS, (0x80000000 | (f << 8)) >>> 0, 0);
  return 0;
}

/** Loads a double (bit pattern hi:lo) exactly. Returns EX_DE for a denormal source, EX_IE for an SNaN. */
export function extFromDouble(out: Ext, hi: number, lo: number): number {
  const sign = hi >>> 31;
  const e = (hi >>> 20) & 0x7ff;
  const fh = hi & 0xfffff;
  if (e === 0x7ff) {
    out.set(sign, EXT_EXP_MAX, 0x80000000 | (fh << 11) | (lo >>> 21), lo << 11);
    if (fh === 0 && lo === 0) return 0;
    if ((fh & 0x80000) === 0) {
      out.hi = (out.hi | 0x40000000) >>> 0;
      return EX_IE;
    }
    return 0;
  }
  if (e === 0) {
    if (fh === 0 && lo === 0) {
      out.set(sign, 0, 0, 0);
      return 0;
    }
    // Denormal double (0.f × 2^-1022): a normal extended number once normalised.
    out.set(sign, EXT_BIAS - 1022, (fh << 11) | (lo >>> 21), lo << 11);
    const E = normalise(out);
    out.set(sign, E + EXT_BIAS, nH1, nH0);
    return EX_DE;
  }
  out.set(sign, e - 1023 + EXT_BIAS, 0x80000000 | (fh << 11) | (lo >>> 21), lo << 11);
  return 0;
}

/** An exact image of a double value (no flags: every double is an extended number). */
export function extFromNumber(out: Ext, x: number): void {
  doubleBits(x);
  extFromDouble(out, bitsHi, bitsLo);
  if (Number.isNaN(x)) out.set(out.sign, EXT_EXP_MAX, out.hi | 0x40000000, out.lo);
}

/**
 * Rounds an image to a memory float format: `p` = 24 (single) or 53 (double). The bit pattern is left in
 * bitsHi:bitsLo (single: bitsLo). Returns exceptions and ROUNDED_UP; when an unmasked exception other than
 * PE is returned, nothing may be stored. Masked responses follow the SDM (indefinite, ∞ or largest finite).
 */
export function packFloat(x: Ext, p: number, rc: number, cw: number): number {
  const single = p === 24;
  const bias = single ? 127 : 1023;
  const expMax = single ? 0xff : 0x7ff;
  const neg = x.sign === 1;
  if (x.exp === EXT_EXP_MAX && (x.hi & 0x80000000) !== 0) {
    const nan = x.isNaN();
    let flags = 0;
    let h = x.hi;
    if (nan && (h & 0x40000000) === 0) {
      flags = EX_IE;
      h |= 0x40000000;
    }
    emitFloat(single, x.sign, expMax, nan ? h : 0, nan ? x.lo : 0);
    return flags;
  }
  if (x.isUnsupported()) {
    emitFloat(single, 1, expMax, 0xc0000000, 0);
    return EX_IE;
  }
  if (x.isZero()) {
    emitFloat(single, x.sign, 0, 0, 0);
    return 0;
  }
  // A denormal source raises no DE on a store (measured): only the conversion's own exceptions.
  let flags = 0;
  const E = normalise(x);
  let e = E + bias;
  const tiny = e < 1;
  const k = 64 - p + (tiny ? 1 - e : 0);
  roundBits(nH1, nH0, FRAC_ZERO, Math.min(k, 65), neg, rc);
  if (tiny && (cw & EX_UE) === 0) return EX_UE; // unmasked: nothing stored, and no PE reported
  if (rInexact) flags |= EX_PE;
  if (roundedUpLast) flags |= ROUNDED_UP;
  if (tiny) {
    if (rInexact) flags |= EX_UE;
    if (k >= 64) {
      // Everything was below the smallest denormal: 0 or the smallest denormal.
      // The smallest denormal is bit 64 - p of the aligned significand.
      emitFloat(single, x.sign, 0, rCarry && single ? 256 : 0, rCarry && !single ? 2048 : 0);
      return flags;
    }
    if (rCarry) {
      // Rounded up to 2^(E+1): bit 64 - s of the aligned denormal significand.
      shiftRight(TWO31, 0, k - (64 - p) - 1);
    } else {
      shiftRight(rH1, rH0, k - (64 - p));
    }
    // rH1:rH0 now holds the denormal significand aligned as a normal one would be (bit 63 = integer bit).
    emitFloat(single, x.sign, rH1 >= TWO31 ? 1 : 0, rH1, rH0);
    return flags;
  }
  let h1 = rH1;
  const h0 = rH0;
  if (rCarry) {
    h1 = TWO31;
    e += 1;
  }
  if (e >= expMax) {
    if ((cw & EX_OE) === 0) return EX_OE;
    flags |= EX_OE | EX_PE;
    if (rc === RC_NEAREST || (rc === RC_UP && !neg) || (rc === RC_DOWN && neg)) {
      emitFloat(single, x.sign, expMax, 0, 0);
      return flags | ROUNDED_UP;
    }
    emitFloat(single, x.sign, expMax - 1, 0xffffffff, 0xffffffff);
    return flags & ~ROUNDED_UP;
  }
  emitFloat(single, x.sign, e, h1, h0);
  return flags;
}

/** Builds a single/double bit pattern from sign, biased exponent and a significand aligned at bit 63. */
function emitFloat(single: boolean, sign: number, e: number, h1: number, h0: number): void {
  if (single) {
    bitsLo = ((sign << 31) | (e << 23) | ((h1 >>> 8) & 0x7fffff)) >>> 0;
    bitsHi = 0;
  } else {
    bitsHi = ((sign << 31) | (e << 20) | ((h1 >>> 11) & 0xfffff)) >>> 0;
    bitsLo = (((h1 & 0x7ff) << 21) | (h0 >>> 11)) >>> 0;
  }
}

/** The image as the nearest double (for the double-based operations). */
export function extToNumber(x: Ext): number {
  if (x.exp === EXT_EXP_MAX) {
    if ((x.hi & 0x7fffffff) === 0 && x.lo === 0) return x.sign ? -Infinity : Infinity;
    return Number.NaN;
  }
  const m = x.hi * TWO32 + x.lo; // one rounding to 53 bits
  const v = m * pow2(-63) * pow2(unbiased(x));
  return x.sign ? -v : v;
}

// ---- integers ----------------------------------------------------------------------------------------

/**
 * Rounds a finite image to an integer under `rc`. The magnitude is left in intHi:intLo and the function
 * returns flags (EX_PE, ROUNDED_UP), or -1 when the magnitude is 2^64 or more.
 */
function extToInteger(x: Ext, rc: number): number {
  if (x.isZero()) {
    intHi = 0;
    intLo = 0;
    return 0;
  }
  const E = normalise(x);
  if (E >= 64) return -1;
  const k = 63 - E;
  if (k <= 0) {
    intHi = nH1;
    intLo = nH0;
    return 0;
  }
  roundBits(nH1, nH0, FRAC_ZERO, Math.min(k, 65), x.sign === 1, rc);
  let flags = rInexact ? EX_PE : 0;
  if (roundedUpLast) flags |= ROUNDED_UP;
  if (k >= 64) {
    intHi = 0;
    intLo = rCarry ? 1 : 0;
    return flags;
  }
  if (rCarry && rH1 >= TWO32) {
    // 2^64 units at scale k: the value 2^(64-k).
    const b = 64 - k;
    intHi = b >= 32 ? 2 ** (b - 32) : 0;
    intLo = b < 32 ? 2 ** b : 0;
    return flags;
  }
  shiftRight(rH1, rH0, k);
  intHi = rH1;
  intLo = rH0;
  return flags;
}
export let intHi = 0;
export let intLo = 0;

/**
 * Converts an image to a `bits`-bit two's-complement integer (16, 32 or 64) for FIST/FISTP. The result is
 * left in intHi:intLo (low `bits` bits meaningful); out of range, NaN, ∞ or an unsupported encoding give
 * EX_IE and the integer indefinite (the most negative value).
 */
export function extToSigned(x: Ext, bits: number, rc: number): number {
  let flags: number;
  if (x.exp === EXT_EXP_MAX || x.isUnsupported()) flags = -1;
  else flags = extToInteger(x, rc);
  const neg = x.sign === 1;
  if (flags >= 0) {
    let ok: boolean;
    if (bits === 64) ok = intHi < 0x80000000 || (neg && intHi === 0x80000000 && intLo === 0);
    else {
      const lim = 2 ** (bits - 1);
      ok = intHi === 0 && (intLo < lim || (neg && intLo === lim));
    }
    if (ok) {
      if (neg && (intHi !== 0 || intLo !== 0)) {
        // Two's complement of the 64-bit magnitude.
        const lo = (~intLo + 1) >>> 0;
        const hi = (~intHi + (lo === 0 ? 1 : 0)) >>> 0;
        intLo = lo;
        intHi = hi;
      }
      return flags;
    }
  }
  intHi = bits === 64 ? 0x80000000 : 0;
  intLo = bits === 64 ? 0 : 2 ** (bits - 1);
  return EX_IE;
}

/** Loads a two's-complement integer (sign-extended to 64 bits as hi:lo) exactly. */
export function extFromSigned(out: Ext, hi: number, lo: number): void {
  hi >>>= 0;
  lo >>>= 0;
  const neg = hi >= 0x80000000;
  if (neg) {
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  if (hi === 0 && lo === 0) {
    out.set(0, 0, 0, 0);
    return;
  }
  // hi:lo is now the magnitude (2^63 for the most negative value, which stays correct as unsigned).
  out.set(neg ? 1 : 0, EXT_BIAS + 63, hi, lo);
  const E = normalise(out);
  out.set(neg ? 1 : 0, E + EXT_BIAS, nH1, nH0);
}

// ---- packed BCD (FBLD/FBSTP; rare, so BigInt is acceptable here) -------------------------------------

/** Loads 10 bytes of packed BCD. Digits above 9 give an undefined result on hardware; here they count as-is. */
export function extFromBcd(out: Ext, bytes: Uint8Array): void {
  let v = 0n;
  for (let i = 8; i >= 0; i--) {
    const b = bytes[i];
    v = v * 100n + BigInt((b >> 4) * 10 + (b & 15));
  }
  const neg = (bytes[9] & 0x80) !== 0;
  if (v === 0n) {
    out.set(neg ? 1 : 0, 0, 0, 0);
    return;
  }
  out.set(0, EXT_BIAS + 63, Number(v >> 32n), Number(v & 0xffffffffn));
  const E = normalise(out);
  out.set(neg ? 1 : 0, E + EXT_BIAS, nH1, nH0);
}

/**
 * Rounds an image to an integer and writes it as 10 bytes of packed BCD into `bytes`. Returns flags; with
 * EX_IE (NaN, ∞, |value| >= 10^18) the BCD indefinite is written.
 */
export function extToBcd(x: Ext, rc: number, bytes: Uint8Array): number {
  let flags = -1;
  if (x.exp !== EXT_EXP_MAX && !x.isUnsupported()) flags = extToInteger(x, rc);
  const v = flags < 0 ? 0n : (BigInt(intHi) << 32n) | BigInt(intLo);
  if (flags < 0 || v >= 1000000000000000000n) {
    bytes.fill(0);
    bytes[7] = 0xc0;
    bytes[8] = 0xff;
    bytes[9] = 0xff;
    return EX_IE;
  }
  let r = v;
  for (let i = 0; i < 9; i++) {
    const two = Number(r % 100n);
    r /= 100n;
    bytes[i] = ((Math.floor(two / 10) << 4) | (two % 10)) & 0xff;
  }
  bytes[9] = x.sign ? 0x80 : 0;
  return flags;
}

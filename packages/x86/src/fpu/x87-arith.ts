/**
 * The arithmetic of the x87 FPU on 80-bit images: add/subtract, multiply, divide, square root, the partial
 * remainders FPREM/FPREM1 and exact comparison, with the special cases (NaN propagation, invalid
 * operations, infinities, signed zeros, denormal operands) of the SDM's tables.
 *
 * Called by `X87` (x87.ts). The finite cases go to x87-exact.ts, which computes with the full 64-bit
 * significands, so every result here is the exact result rounded once to the precision control's 24, 53
 * or 64 bits in the extended exponent range — bit for bit what the processor produces.
 */

import { exactAdd, exactDiv, exactMul, exactRemainder, exactSqrt, remQ, twiceMinus } from './x87-exact.js';
import {
  EX_DE,
  EX_IE,
  EX_PE,
  EX_ZE,
  EXT_BIAS,
  EXT_EXP_MAX,
  type Ext,
  extFromSigned,
  FRAC_ZERO,
  nH0,
  nH1,
  normalise,
  packExtended,
  RC_DOWN,
  RC_NEAREST,
  RC_UP,
  ROUNDED_UP,
  roundExt,
  setIndefinite,
} from './x87-formats.js';

export const OP_ADD = 0;
export const OP_MUL = 1;
export const OP_SUB = 4;
export const OP_DIV = 6;

/** Normalised operand parts, filled by {@link unpack}. */
let uE = 0;
let uH = 0;
let uL = 0;
function unpack(x: Ext): void {
  uE = normalise(x);
  uH = nH1;
  uL = nH0;
}

/** Whether the image is a NaN or an encoding the FPU rejects (both give #IA or a NaN result). */
export function isNaNLike(x: Ext): boolean {
  return x.isUnsupported() || x.isNaN();
}

/**
 * The masked response when an operand is a NaN or unsupported: the larger-significand NaN quietened, or
 * the indefinite for unsupported encodings. Returns EX_IE when an SNaN or unsupported operand was seen.
 */
export function propagateNaN(out: Ext, a: Ext, b: Ext | null): number {
  let flags = 0;
  if (a.isUnsupported() || b?.isUnsupported()) {
    setIndefinite(out);
    return EX_IE;
  }
  if (a.isSignaling() || b?.isSignaling()) flags = EX_IE;
  let pick = a;
  if (b?.isNaN()) {
    // Two NaNs (as measured): a QNaN beats an SNaN; otherwise the larger significand; on a tie, the positive.
    if (!a.isNaN()) pick = b;
    else if (a.isSignaling() !== b.isSignaling()) pick = a.isSignaling() ? b : a;
    else {
      const ah = a.hi & 0x3fffffff;
      const bh = b.hi & 0x3fffffff;
      if (bh > ah || (bh === ah && (b.lo > a.lo || (b.lo === a.lo && b.sign < a.sign)))) pick = b;
    }
  }
  out.copyFrom(pick);
  out.hi = (out.hi | 0x40000000) >>> 0;
  return flags;
}

/**
 * `a op b` into `out` for OP_ADD, OP_SUB (a - b), OP_MUL and OP_DIV (a / b), with precision `p` bits,
 * rounding `rc` and the control word's masks `cw`. Returns the EX_* flags and ROUNDED_UP. When an
 * unmasked IE, DE or ZE is returned, `out` is meaningless and the caller must leave the destination alone.
 */
export function arith(op: number, out: Ext, a: Ext, b: Ext, p: number, rc: number, cw: number): number {
  if (isNaNLike(a) || isNaNLike(b)) return propagateNaN(out, a, b);
  const neg = op === OP_SUB ? 1 - b.sign : b.sign;
  const aInf = a.exp === EXT_EXP_MAX;
  const bInf = b.exp === EXT_EXP_MAX;
  const aZero = a.isZero();
  const bZero = b.isZero();
  let flags = a.isDenormal() || b.isDenormal() ? EX_DE : 0;
  if (op === OP_ADD || op === OP_SUB) {
    if (aInf || bInf) {
      if (aInf && bInf && a.sign !== neg) return invalid(out);
      if (aInf) out.copyFrom(a);
      else out.set(neg, EXT_EXP_MAX, 0x80000000, 0);
      return flags;
    }
    if (aZero && bZero) {
      out.set(a.sign === neg ? a.sign : rc === RC_DOWN ? 1 : 0, 0, 0, 0);
      return flags;
    }
    if (flags & ~cw & EX_DE) return flags;
    if (bZero) return flags | roundExt(out, a, p, rc, cw);
    if (aZero) {
      // ±0 − b is −b, rounded to the precision as −b (directed rounding depends on the sign).
      out.copyFrom(b);
      out.sign = neg;
      return flags | roundExt(out, out, p, rc, cw);
    }
    unpack(a);
    const ea = uE;
    const ah = uH;
    const al = uL;
    unpack(b);
    const negA = a.sign === 1;
    const negB = neg === 1;
    const f =
      ea >= uE
        ? exactAdd(out, negA, ea, ah, al, negB, uE, uH, uL, p, rc, cw)
        : exactAdd(out, negB, uE, uH, uL, negA, ea, ah, al, p, rc, cw);
    if (f < 0) {
      out.set(rc === RC_DOWN ? 1 : 0, 0, 0, 0);
      return flags;
    }
    return flags | f;
  }
  const sign = a.sign ^ b.sign;
  if (op === OP_MUL) {
    if (aInf || bInf) {
      if (aZero || bZero) return invalid(out);
      out.set(sign, EXT_EXP_MAX, 0x80000000, 0);
      return flags;
    }
    if (aZero || bZero) {
      out.set(sign, 0, 0, 0);
      return flags;
    }
    if (flags & ~cw & EX_DE) return flags;
    unpack(a);
    const ea = uE;
    const ah = uH;
    const al = uL;
    unpack(b);
    return flags | exactMul(out, sign === 1, ea, ah, al, uE, uH, uL, p, rc, cw);
  }
  // OP_DIV
  if (aInf && bInf) return invalid(out);
  if (aZero && bZero) return invalid(out);
  if (aInf || bZero) {
    if (bZero && !aInf) {
      flags |= EX_ZE;
      if (cw & EX_ZE) out.set(sign, EXT_EXP_MAX, 0x80000000, 0);
      return flags;
    }
    out.set(sign, EXT_EXP_MAX, 0x80000000, 0);
    return flags;
  }
  if (bInf || aZero) {
    out.set(sign, 0, 0, 0);
    return flags;
  }
  if (flags & ~cw & EX_DE) return flags;
  unpack(a);
  const ea = uE;
  const ah = uH;
  const al = uL;
  unpack(b);
  return flags | exactDiv(out, sign === 1, ea, ah, al, uE, uH, uL, p, rc, cw);
}

function invalid(out: Ext): number {
  setIndefinite(out);
  return EX_IE;
}

/** FSQRT of `a` into `out`. */
export function sqrt(out: Ext, a: Ext, p: number, rc: number, cw: number): number {
  if (isNaNLike(a)) return propagateNaN(out, a, null);
  if (a.isZero()) {
    out.copyFrom(a);
    return 0;
  }
  if (a.sign === 1) return invalid(out);
  if (a.exp === EXT_EXP_MAX) {
    out.copyFrom(a);
    return 0;
  }
  const flags = a.isDenormal() ? EX_DE : 0;
  if (flags & ~cw & EX_DE) return flags;
  unpack(a);
  return flags | exactSqrt(out, uE, uH, uL, p, rc, cw);
}

/** The low three quotient bits of the last {@link remainder} (Q2 Q1 Q0), and whether it was partial. */
export let remQuotient = 0;
export let remPartial = false;

/**
 * FPREM (`ieee` false: quotient truncated) and FPREM1 (`ieee` true: quotient rounded to nearest even) of
 * a by b into `out`. When the exponents differ by 64 or more the reduction is partial (remPartial): the
 * exponent drops by 32 plus the difference modulo 32, as measured on the processor.
 */
export function remainder(out: Ext, a: Ext, b: Ext, ieee: boolean, rc: number, cw: number): number {
  remQuotient = 0;
  remPartial = false;
  if (isNaNLike(a) || isNaNLike(b)) return propagateNaN(out, a, b);
  if (a.exp === EXT_EXP_MAX || b.isZero()) return invalid(out);
  const flags = a.isDenormal() || b.isDenormal() ? EX_DE : 0;
  if (flags & ~cw & EX_DE) return flags;
  if (b.exp === EXT_EXP_MAX || a.isZero()) {
    out.copyFrom(a);
    return flags;
  }
  unpack(a);
  const ea = uE;
  const ah = uH;
  const al = uL;
  unpack(b);
  const d = ea - uE;
  if (d < -1 || (d === -1 && !ieee)) return flags | roundExt(out, a, 64, rc, cw); // canonical encoding
  if (d === -1) {
    // |a| < |b| <= 2|a|: the nearest quotient is 1 when |a| > |b|/2, i.e. the significand of a exceeds b's.
    if (ah < uH || (ah === uH && al <= uL)) return flags | roundExt(out, a, 64, rc, cw);
    remQuotient = 1;
    return flags | twiceMinus(out, a.sign === 0, uH, uL, ah, al, ea - 63, rc, cw);
  }
  let steps = d;
  let e0 = uE - 63;
  if (d >= 64) {
    // Partial reduction: the exponent drops by 32 plus the difference modulo 32 (as measured).
    remPartial = true;
    steps = 32 + (d % 32);
    e0 = uE + d - steps - 63;
  }
  const f = exactRemainder(out, a.sign === 1, ah, al, uH, uL, steps, ieee && !remPartial, e0, rc, cw);
  if (!remPartial) remQuotient = remQ;
  if (f < 0) {
    out.set(a.sign, 0, 0, 0);
    return flags;
  }
  return flags | f;
}

/** Comparison results. */
export const CMP_LESS = 0;
export const CMP_EQUAL = 1;
export const CMP_GREATER = 2;
export const CMP_UNORDERED = 3;

/** Exact comparison of two images (signed zeros equal; NaN and unsupported encodings unordered). */
export function compare(a: Ext, b: Ext): number {
  if (isNaNLike(a) || isNaNLike(b)) return CMP_UNORDERED;
  const az = a.isZero();
  const bz = b.isZero();
  if (az && bz) return CMP_EQUAL;
  if (az) return b.sign ? CMP_GREATER : CMP_LESS;
  if (bz) return a.sign ? CMP_LESS : CMP_GREATER;
  if (a.sign !== b.sign) return a.sign ? CMP_LESS : CMP_GREATER;
  // Same sign: compare magnitudes (normalised, so pseudo-denormals compare by value).
  const ea = a.exp === EXT_EXP_MAX ? 1e9 : normalise(a);
  const ah = nH1;
  const al = nH0;
  const eb = b.exp === EXT_EXP_MAX ? 1e9 : normalise(b);
  let mag: number;
  if (ea !== eb) mag = ea > eb ? 1 : -1;
  else if (ah !== nH1) mag = ah > nH1 ? 1 : -1;
  else if (al !== nH0) mag = al > nH0 ? 1 : -1;
  else return CMP_EQUAL;
  if (a.sign) mag = -mag;
  return mag > 0 ? CMP_GREATER : CMP_LESS;
}

/** Rounds a finite image to an integral value (FRNDINT) under `rc`; returns EX_PE/ROUNDED_UP/EX_DE. */
export function roundToIntegral(out: Ext, a: Ext, rc: number, cw: number): number {
  if (isNaNLike(a)) return propagateNaN(out, a, null);
  if (a.exp === EXT_EXP_MAX || a.isZero()) {
    out.copyFrom(a);
    return 0;
  }
  const flags = a.isDenormal() ? EX_DE : 0;
  if (flags & ~cw & EX_DE) return flags;
  const E = normalise(a);
  if (E >= 63) {
    out.set(a.sign, E + EXT_BIAS, nH1, nH0);
    return flags;
  }
  if (E < 0) {
    // |a| < 1: the result is 0 or 1 (with a's sign); only a value above one half rounds up to nearest.
    const up =
      rc === RC_UP
        ? a.sign === 0
        : rc === RC_DOWN
          ? a.sign === 1
          : rc === RC_NEAREST && E === -1 && (nH1 !== 0x80000000 || nH0 !== 0);
    if (up) out.set(a.sign, EXT_BIAS, 0x80000000, 0);
    else out.set(a.sign, 0, 0, 0);
    return flags | EX_PE | (up ? ROUNDED_UP : 0);
  }
  // Rounding to E + 1 significant bits keeps exactly the integer part.
  return flags | packExtended(out, a.sign === 1, E, nH1, nH0, FRAC_ZERO, E + 1, rc, cw);
}

/** FSCALE: x · 2^trunc(y), exact until it over- or underflows. */
export function scale(out: Ext, x: Ext, y: Ext, rc: number, cw: number): number {
  if (isNaNLike(x) || isNaNLike(y)) return propagateNaN(out, x, y);
  const flags = x.isDenormal() || y.isDenormal() ? EX_DE : 0;
  if (y.exp === EXT_EXP_MAX) {
    // Scaling by ±∞: 0·2^+∞ and ∞·2^−∞ are invalid; otherwise ∞ or 0 with the sign of x.
    const up = y.sign === 0;
    if ((up && x.isZero()) || (!up && x.exp === EXT_EXP_MAX)) return invalid(out);
    if (x.isZero() || x.exp === EXT_EXP_MAX) out.copyFrom(x);
    else if (up) out.set(x.sign, EXT_EXP_MAX, 0x80000000, 0);
    else out.set(x.sign, 0, 0, 0);
    return flags;
  }
  if (x.isZero() || x.exp === EXT_EXP_MAX) {
    out.copyFrom(x);
    return flags;
  }
  if (flags & ~cw & EX_DE) return flags;
  // Beyond ±70000 every result has over- or underflowed anyway; the clamp keeps the arithmetic small.
  let n = 0;
  if (!y.isZero()) {
    const e = normalise(y);
    n = e >= 16 ? 70000 : Math.min(70000, Math.floor((nH1 * 4294967296 + nH0) / 2 ** (63 - e)));
    if (y.sign) n = -n;
  }
  const E = normalise(x);
  return flags | packExtended(out, x.sign === 1, E + n, nH1, nH0, FRAC_ZERO, 64, rc, cw);
}

/** FXTRACT: the exponent of x (as a value) into `exp` and its significand (exponent 0) into `sig`. */
export function extract(exp: Ext, sig: Ext, x: Ext): number {
  if (isNaNLike(x)) {
    const f = propagateNaN(exp, x, null);
    sig.copyFrom(exp);
    return f;
  }
  if (x.isZero()) {
    exp.set(1, EXT_EXP_MAX, 0x80000000, 0);
    sig.copyFrom(x);
    return EX_ZE;
  }
  if (x.exp === EXT_EXP_MAX) {
    exp.set(0, EXT_EXP_MAX, 0x80000000, 0);
    sig.copyFrom(x);
    return 0;
  }
  const flags = x.isDenormal() ? EX_DE : 0;
  const E = normalise(x);
  sig.set(x.sign, EXT_BIAS, nH1, nH0);
  extFromSigned(exp, E < 0 ? -1 : 0, E);
  return flags;
}

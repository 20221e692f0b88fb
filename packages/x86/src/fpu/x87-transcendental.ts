/**
 * The x87's transcendental instructions — F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN, FCOS, FPTAN, FSINCOS — as
 * functions of 80-bit images. The operands are taken exactly (all 64 significand bits), the trigonometric
 * arguments are reduced exactly by multiples of π/2 as the processor knows it (66 bits), the functions
 * are evaluated in double-double arithmetic (x87-dd.ts, about 106 bits) and the result is rounded once to
 * the 80-bit format. The special cases (zeros, infinities, NaNs, domain errors, tiny operands and the
 * |x| >= 2^63 range limit of the trigonometric functions) follow the processor.
 *
 * Called by `X87` (x87.ts), which handles the register stack; each function returns the EX_* flags.
 */
import { isNaNLike, propagateNaN } from './x87-arith.js';
import {
  cosH,
  cosL,
  ddAdd,
  ddAtan,
  ddDiv,
  ddExpm1,
  ddH,
  ddL,
  ddLog,
  ddLog1p,
  ddMul,
  ddSinCos,
  HALF_PI_H,
  HALF_PI_L,
  LN2_H,
  LN2_L,
  PI_H,
  PI_L,
  sinH,
  sinL,
} from './x87-dd.js';
import { exactAdd, reduceHalfPi } from './x87-exact.js';
import {
  bitsHi,
  doubleBits,
  EX_DE,
  EX_IE,
  EX_PE,
  EX_ZE,
  EXT_BIAS,
  EXT_EXP_MAX,
  Ext,
  extFromNumber,
  extToNumber,
  FRAC_HIGH,
  FRAC_LOW,
  FRAC_ZERO,
  nH0,
  nH1,
  normalise,
  packExtended,
  setIndefinite,
} from './x87-formats.js';

/** Returned when the instruction leaves its operand alone (out-of-range argument). */
export const UNCHANGED = -1;

const partA = new Ext();
const partB = new Ext();
const reduced = new Ext();

/** The significand of a finite non-zero image as an exact double-double in [1, 2) (sgH + sgL), exponent sgE. */
let sgH = 0;
let sgL = 0;
let sgE = 0;
function significand(x: Ext): void {
  sgE = normalise(x);
  const low = nH0 & 0x7ff;
  sgH = (nH1 * 4294967296 + (nH0 - low)) * 2 ** -63;
  sgL = low * 2 ** -63;
}

/**
 * Rounds (hi + lo)·2^e into `out` (64 bits, rounding rc, masks cw), as every transcendental result is:
 * inexact, so PE is always reported. hi must be non-zero and hold the larger part.
 */
function packDD(out: Ext, hi: number, lo: number, e: number, rc: number, cw: number): number {
  extFromNumber(partA, hi);
  const ea = normalise(partA) + e;
  const ah = nH1;
  const al = nH0;
  if (lo === 0) return EX_PE | packExtended(out, hi < 0, ea, ah, al, FRAC_ZERO, 64, rc, cw);
  extFromNumber(partB, lo);
  const eb = normalise(partB) + e;
  const f = exactAdd(out, hi < 0, ea, ah, al, lo < 0, eb, nH1, nH0, 64, rc, cw);
  return EX_PE | (f < 0 ? 0 : f);
}

/**
 * Rounds ±(h1:h0)·2^(E−63) changed by an infinitesimal in magnitude (dir +1 larger, −1 smaller) into
 * `out`: how a result that differs from a representable value only far below its last bit is rounded.
 */
function nudged(
  out: Ext,
  sign: number,
  E: number,
  h1: number,
  h0: number,
  dir: number,
  rc: number,
  cw: number,
) {
  if (dir > 0) return EX_PE | packExtended(out, sign === 1, E, h1, h0, FRAC_LOW, 64, rc, cw);
  // One unit less with a fraction just below one: the value just below h1:h0.
  if (h0 === 0 && h1 === 0x80000000)
    return EX_PE | packExtended(out, sign === 1, E - 1, 0xffffffff, 0xffffffff, FRAC_HIGH, 64, rc, cw);
  const lo = h0 === 0 ? 0xffffffff : h0 - 1;
  const hi = h0 === 0 ? h1 - 1 : h1;
  return EX_PE | packExtended(out, sign === 1, E, hi, lo, FRAC_HIGH, 64, rc, cw);
}

function one(out: Ext, sign: number): void {
  out.set(sign, EXT_BIAS, 0x80000000, 0);
}
function infinity(out: Ext, sign: number): void {
  out.set(sign, EXT_EXP_MAX, 0x80000000, 0);
}
/** The masked response to an invalid operand; the processor reports no DE alongside it. */
function invalid(out: Ext): number {
  setIndefinite(out);
  return EX_IE;
}

/**
 * F2XM1: 2^x − 1 for −1 <= x <= 1; outside that range the processor leaves ST(0) unchanged but still
 * reports PE (the caller raises it for UNCHANGED).
 */
export function f2xm1(out: Ext, x: Ext, rc: number, cw: number): number {
  const flags = x.isDenormal() ? EX_DE : 0;
  if (x.isZero()) {
    out.copyFrom(x);
    return flags;
  }
  if (x.exp === EXT_EXP_MAX) {
    // 2^+∞ − 1 = +∞, 2^−∞ − 1 = −1.
    if (x.sign) one(out, 1);
    else out.copyFrom(x);
    return flags;
  }
  const E = normalise(x);
  if (E > 0 || (E === 0 && (nH1 !== 0x80000000 || nH0 !== 0))) return UNCHANGED;
  significand(x);
  const s = x.sign ? -1 : 1;
  if (E < -500) {
    // 2^x − 1 = x·ln 2 to far below the last bit (x may be below the double range).
    ddMul(s * sgH, s * sgL, LN2_H, LN2_L);
    return flags | packDD(out, ddH, ddL, sgE, rc, cw);
  }
  ddMul(s * sgH * 2 ** sgE, s * sgL * 2 ** sgE, LN2_H, LN2_L);
  ddExpm1(ddH, ddL);
  return flags | packDD(out, ddH, ddL, 0, rc, cw);
}

/** log2(mh + ml) + e for a positive double-double, into ddH/ddL. */
function log2dd(mh: number, ml: number, e: number): void {
  doubleBits(mh);
  const k = ((bitsHi >>> 20) & 0x7ff) - 1023; // mh's exponent: scale into [1, 2), then around 1
  let sh = mh * 2 ** -k;
  let sl = ml * 2 ** -k;
  e += k;
  if (sh > Math.SQRT2) {
    sh /= 2;
    sl /= 2;
    e += 1;
  }
  ddLog(sh, sl);
  ddDiv(ddH, ddL, LN2_H, LN2_L);
  ddAdd(e, 0, ddH, ddL);
}

/** y · L·2^e where L = lh + ll (a double-double) and y a finite non-zero image, into `out`. */
function timesY(out: Ext, lh: number, ll: number, e: number, y: Ext, rc: number, cw: number): number {
  significand(y);
  const s = y.sign ? -1 : 1;
  ddMul(lh, ll, s * sgH, s * sgL);
  return packDD(out, ddH, ddL, e + sgE, rc, cw);
}

/** FYL2X: y · log2(x). */
export function fyl2x(out: Ext, x: Ext, y: Ext, rc: number, cw: number): number {
  if (isNaNLike(x) || isNaNLike(y)) return propagateNaN(out, x, y);
  const flags = x.isDenormal() || y.isDenormal() ? EX_DE : 0;
  const xZero = x.isZero();
  const xInf = x.exp === EXT_EXP_MAX;
  const yZero = y.isZero();
  const yInf = y.exp === EXT_EXP_MAX;
  if (x.sign && !xZero) return invalid(out);
  if (xZero) {
    // log2(0) = −∞: a zero divide unless ST(1) is already infinite; 0·∞ is invalid.
    if (yZero) return invalid(out);
    infinity(out, y.sign ^ 1);
    return yInf ? flags : flags | EX_ZE;
  }
  if (xInf) {
    if (yZero) return invalid(out);
    infinity(out, y.sign);
    return flags;
  }
  const E = normalise(x);
  const isOne = E === 0 && nH1 === 0x80000000 && nH0 === 0;
  if (isOne) {
    if (yInf) return invalid(out);
    out.set(y.sign, 0, 0, 0);
    return flags;
  }
  // log2(x) has the sign of E (x < 1 exactly when its exponent is negative).
  const negLog = E < 0 ? 1 : 0;
  if (yInf) {
    infinity(out, y.sign ^ negLog);
    return flags;
  }
  if (yZero) {
    out.set(y.sign ^ negLog, 0, 0, 0);
    return flags;
  }
  significand(x);
  log2dd(sgH, sgL, sgE);
  return flags | timesY(out, ddH, ddL, 0, y, rc, cw);
}

/**
 * FYL2XP1: y · log2(x + 1). Exact to the last bit for the documented range |x| < 1 − √2/2 and beyond it
 * for x > −1/2; for x <= −1/2 (and ∞) the result is computed in double, as the SDM leaves it undefined.
 */
export function fyl2xp1(out: Ext, x: Ext, y: Ext, rc: number, cw: number): number {
  if (isNaNLike(x) || isNaNLike(y)) return propagateNaN(out, x, y);
  const flags = x.isDenormal() || y.isDenormal() ? EX_DE : 0;
  const yInf = y.exp === EXT_EXP_MAX;
  if (x.isZero()) {
    if (yInf) return invalid(out);
    out.set(x.sign ^ y.sign, 0, 0, 0);
    return flags;
  }
  if (x.exp === EXT_EXP_MAX || (x.sign === 1 && normalise(x) >= -1)) {
    const v = (extToNumber(y) * Math.log1p(extToNumber(x))) / Math.LN2;
    if (Number.isNaN(v)) return invalid(out);
    extFromNumber(out, v);
    return v === 0 || !Number.isFinite(v) ? flags : flags | EX_PE;
  }
  if (yInf) {
    infinity(out, x.sign ^ y.sign);
    return flags;
  }
  if (y.isZero()) {
    out.set(x.sign ^ y.sign, 0, 0, 0);
    return flags;
  }
  significand(x);
  const s = x.sign ? -1 : 1;
  if (sgE < -500) {
    // log2(1 + x) = x / ln 2 to far below the last bit (x may be below the double range).
    ddDiv(s * sgH, s * sgL, LN2_H, LN2_L);
    return flags | timesY(out, ddH, ddL, sgE, y, rc, cw);
  }
  const xh = s * sgH * 2 ** Math.min(sgE, 1000);
  const xl = s * sgL * 2 ** Math.min(sgE, 1000);
  if (sgE < -1) {
    ddLog1p(xh, xl);
    ddDiv(ddH, ddL, LN2_H, LN2_L);
  } else if (sgE < 1000) {
    ddAdd(1, 0, xh, xl);
    log2dd(ddH, ddL, 0);
  } else log2dd(sgH, sgL, sgE); // 1 + x = x to far below the last bit
  return flags | timesY(out, ddH, ddL, 0, y, rc, cw);
}

/** FPATAN: the angle of (x, y), atan2(y, x), with the signed zeros and infinities of IEEE. */
export function fpatan(out: Ext, x: Ext, y: Ext, rc: number, cw: number): number {
  if (isNaNLike(x) || isNaNLike(y)) return propagateNaN(out, x, y);
  const flags = x.isDenormal() || y.isDenormal() ? EX_DE : 0;
  const xInf = x.exp === EXT_EXP_MAX;
  const yInf = y.exp === EXT_EXP_MAX;
  let ah: number; // the angle for |y| (0 … π), before y's sign
  let al: number;
  if (y.isZero() || (xInf && !yInf)) {
    if (!x.sign) {
      out.set(y.sign, 0, 0, 0);
      return flags;
    }
    ah = PI_H;
    al = PI_L;
  } else if (x.isZero() || (yInf && !xInf)) {
    ah = HALF_PI_H;
    al = HALF_PI_L;
  } else if (xInf && yInf) {
    ddMul(PI_H, PI_L, x.sign ? 0.75 : 0.25, 0);
    ah = ddH;
    al = ddL;
  } else {
    significand(y);
    const yh = sgH;
    const yl = sgL;
    const ey = sgE;
    significand(x);
    ddDiv(yh, yl, sgH, sgL); // |y|/|x| = (ddH + ddL)·2^d, the ratio in (1/2, 2)
    const d = ey - sgE;
    // Beyond 2^±500 the ratio's correction lies far below the last bit (and the double-double
    // arithmetic, which splits its operands, must stay far from overflow).
    if (d <= -500 && !x.sign) {
      // atan(t) = t, and t may be below the double range.
      return flags | packDD(out, y.sign ? -ddH : ddH, y.sign ? -ddL : ddL, d, rc, cw);
    }
    if (d >= 500) {
      ah = HALF_PI_H;
      al = HALF_PI_L;
    } else if (d <= -500) {
      ah = PI_H;
      al = PI_L;
    } else {
      const th = ddH * 2 ** d;
      const tl = ddL * 2 ** d;
      if (th <= 1) ddAtan(th, tl);
      else {
        ddDiv(1, 0, th, tl);
        ddAtan(ddH, ddL);
        ddAdd(HALF_PI_H, HALF_PI_L, -ddH, -ddL);
      }
      ah = ddH;
      al = ddL;
      if (x.sign) {
        ddAdd(PI_H, PI_L, -ah, -al);
        ah = ddH;
        al = ddL;
      }
    }
  }
  return flags | packDD(out, y.sign ? -ah : ah, y.sign ? -al : al, 0, rc, cw);
}

/**
 * k = 0 sin, 1 cos, 2 tan (second result 1, as FPTAN pushes), 3 sin with cos as the second result (FSINCOS).
 * Returns UNCHANGED for |x| >= 2^63.
 */
export function trigonometric(k: number, out: Ext, second: Ext, x: Ext, rc: number, cw: number): number {
  if (isNaNLike(x) || x.exp === EXT_EXP_MAX) {
    const f = isNaNLike(x) ? propagateNaN(out, x, null) : EX_IE;
    if (f === EX_IE && !isNaNLike(x)) setIndefinite(out);
    second.copyFrom(out);
    return f;
  }
  const flags = x.isDenormal() ? EX_DE : 0;
  if (x.isZero()) {
    if (k === 1) one(out, 0);
    else out.copyFrom(x);
    one(second, 0);
    return flags;
  }
  const E = normalise(x);
  if (E >= 63) return UNCHANGED;
  one(second, 0);
  if (E < -500) {
    // sin x = x − x³/6, tan x = x + x³/3, cos x = 1 − x²/2, the corrections far below the last bit
    // (x may be below the double range): round x (or 1) nudged by a tiny amount in the right direction.
    if (k === 1) return flags | nudged(out, 0, 0, 0x80000000, 0, -1, rc, cw);
    if (k === 3) nudged(second, 0, 0, 0x80000000, 0, -1, rc, cw);
    return flags | nudged(out, x.sign, E, nH1, nH0, k === 2 ? 1 : -1, rc, cw);
  }
  // |x| = q·(π/2) + ρ with the processor's 66-bit π; the quadrant q mod 4 then picks the function of ρ.
  let quadrant = 0;
  reduced.copyFrom(x);
  reduced.sign = 0;
  if (E >= -1) {
    let q = Math.round(Math.abs(extToNumber(x)) / (Math.PI / 2));
    // Above 2^53 the first quotient is only approximate; a second pass finishes the reduction exactly.
    for (let pass = 0; pass < 2 && q !== 0; pass++) {
      const negative = reduced.sign === 1;
      reduced.sign = 0;
      const f = reduceHalfPi(reduced, negative, normalise(reduced), nH1, nH0, q, 0, 0x3f);
      quadrant = (negative ? quadrant + 4 - (q % 4) : quadrant + (q % 4)) % 4;
      if (f < 0) reduced.set(0, 0, 0, 0);
      q = Math.round(Math.abs(extToNumber(reduced)) / (Math.PI / 2));
    }
  }
  let rh = 0;
  let rl = 0;
  if (!reduced.isZero()) {
    significand(reduced);
    const s = reduced.sign ? -1 : 1;
    rh = s * sgH * 2 ** sgE;
    rl = s * sgL * 2 ** sgE;
  }
  ddSinCos(rh, rl);
  // sin|x| and cos|x| from the quadrant; sin and tan are odd, cos is even.
  let sh = quadrant === 0 ? sinH : quadrant === 1 ? cosH : quadrant === 2 ? -sinH : -cosH;
  let sl = quadrant === 0 ? sinL : quadrant === 1 ? cosL : quadrant === 2 ? -sinL : -cosL;
  const ch = quadrant === 0 ? cosH : quadrant === 1 ? -sinH : quadrant === 2 ? -cosH : sinH;
  const cl = quadrant === 0 ? cosL : quadrant === 1 ? -sinL : quadrant === 2 ? -cosL : sinL;
  if (x.sign) {
    sh = -sh;
    sl = -sl;
  }
  if (k === 3) packDD(second, ch, cl, 0, rc, cw);
  if (k === 1) return flags | packDD(out, ch, cl, 0, rc, cw);
  if (k === 2) {
    ddDiv(sh, sl, ch, cl);
    return flags | packDD(out, ddH, ddL, 0, rc, cw);
  }
  return flags | packDD(out, sh, sl, 0, rc, cw);
}

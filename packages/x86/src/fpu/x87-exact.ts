/**
 * Exact significand arithmetic for the x87: the 64-bit significands of two operands are multiplied,
 * added, divided, square-rooted or reduced (partial remainder) exactly, in 16-bit limbs held in a
 * Float64Array or in pairs of 32-bit words held in doubles, and the result is handed to `packExtended`
 * as a 64-bit significand plus a fraction class, so it is rounded exactly once — as the hardware does.
 *
 * Called by x87-arith.ts with normalised operands (leading bit at bit 63) and their unbiased exponents;
 * nothing here allocates.
 */
import { type Ext, FRAC_HALF, FRAC_HIGH, FRAC_LOW, FRAC_ZERO, packExtended } from './x87-formats.js';

const TWO32 = 4294967296;
const LIMBS = 12;
/** A wide unsigned integer, 16 bits per element, least significant first (values kept in 0…65535). */
const W = new Float64Array(LIMBS);

function limbOf(hi: number, lo: number, k: number): number {
  return ((k < 2 ? lo : hi) >>> ((k & 1) * 16)) & 0xffff;
}

/** Adds sign × (hi:lo) × 2^offset into W (unnormalised; call carry() afterwards). */
function deposit(hi: number, lo: number, offset: number, sign: number): void {
  const base = offset >> 4;
  const s = offset & 15;
  for (let k = 0; k < 4; k++) {
    const v = limbOf(hi, lo, k);
    // The limb shifted by s spans two limbs: its low part stays, its high part moves up.
    W[base + k] += sign * ((v << s) & 0xffff);
    W[base + k + 1] += sign * (v >>> (16 - s));
  }
}

/** Propagates carries (and borrows) so every limb is back in 0…65535; limbs may hold up to ±2^35. */
function carry(): void {
  for (let k = 0; k < LIMBS - 1; k++) {
    const c = Math.floor(W[k] / 65536);
    W[k] -= c * 65536;
    W[k + 1] += c;
  }
}

/** {@link carry} for limbs known to stay within ±2^30 (sums and differences), with integer operations. */
function carrySmall(): void {
  let c = 0;
  for (let k = 0; k < LIMBS; k++) {
    const v = W[k] + c;
    W[k] = v & 0xffff;
    c = v >> 16;
  }
}

function limb(i: number): number {
  return i < 0 || i >= LIMBS ? 0 : W[i];
}

/** The 32 bits of W starting at bit j (bits below 0 read as 0). */
function wordAt(j: number): number {
  const k = j >> 4; // floor, also for negative j
  const s = j & 15;
  if (s === 0) return ((limb(k + 1) << 16) | limb(k)) >>> 0;
  return ((limb(k + 2) << (32 - s)) | (limb(k + 1) << (16 - s)) | (limb(k) >>> s)) >>> 0;
}

/**
 * Rounds W, whose bit 0 is worth 2^e0, into `out` (p bits, rounding rc, masks cw). W must be non-zero.
 */
function packWide(out: Ext, neg: boolean, e0: number, p: number, rc: number, cw: number): number {
  let t = LIMBS - 1;
  while (t > 0 && W[t] === 0) t--;
  const lead = 16 * t + (31 - Math.clz32(W[t]));
  const h1 = wordAt(lead - 31);
  const h0 = wordAt(lead - 63);
  let fc = FRAC_ZERO;
  const j = lead - 64;
  if (j >= 0) {
    const half = (W[j >> 4] >> (j & 15)) & 1;
    let sticky = (W[j >> 4] & ((1 << (j & 15)) - 1)) !== 0;
    for (let k = (j >> 4) - 1; k >= 0 && !sticky; k--) sticky = W[k] !== 0;
    fc = half ? (sticky ? FRAC_HIGH : FRAC_HALF) : sticky ? FRAC_LOW : FRAC_ZERO;
  }
  return packExtended(out, neg, e0 + lead, h1, h0, fc, p, rc, cw);
}

/** (ah:al)·2^(ea−63) × (bh:bl)·2^(eb−63), rounded into `out`. */
export function exactMul(
  out: Ext,
  neg: boolean,
  ea: number,
  ah: number,
  al: number,
  eb: number,
  bh: number,
  bl: number,
  p: number,
  rc: number,
  cw: number,
): number {
  W.fill(0);
  for (let i = 0; i < 4; i++) {
    const x = limbOf(ah, al, i);
    for (let k = 0; k < 4; k++) W[i + k] += x * limbOf(bh, bl, k);
    // Each column stays below 2^34 before the carry pass, well inside a double's exact range.
  }
  carry();
  return packWide(out, neg, ea + eb - 126, p, rc, cw);
}

/**
 * The sum of two non-zero magnitudes with signs, a having the larger exponent (ea >= eb). Returns the
 * flags, or -1 for an exact zero (the caller applies the signed-zero rule).
 */
export function exactAdd(
  out: Ext,
  negA: boolean,
  ea: number,
  ah: number,
  al: number,
  negB: boolean,
  eb: number,
  bh: number,
  bl: number,
  p: number,
  rc: number,
  cw: number,
): number {
  const d = ea - eb;
  let swap = false;
  if (negA !== negB && d === 0 && (bh > ah || (bh === ah && bl > al))) swap = true;
  W.fill(0);
  // The larger operand sits at bit 80, leaving 80 guard bits below it and headroom above for a carry.
  if (swap) deposit(bh, bl, 80, 1);
  else deposit(ah, al, 80, 1);
  const sign = negA === negB ? 1 : -1;
  if (swap) deposit(ah, al, 80, sign);
  else if (d <= 80) deposit(bh, bl, 80 - d, sign);
  else W[0] += sign; // far below every rounding position: only its sign and non-zeroness matter
  carrySmall();
  let zero = true;
  for (let k = 0; k < LIMBS && zero; k++) zero = W[k] === 0;
  if (zero) return -1;
  return packWide(out, swap ? negB : negA, ea - 63 - 80, p, rc, cw);
}

/** (ah:al)·2^(ea−63) ÷ (bh:bl)·2^(eb−63) by restoring division: 64 quotient bits and the remainder's class. */
export function exactDiv(
  out: Ext,
  neg: boolean,
  ea: number,
  ah: number,
  al: number,
  eb: number,
  bh: number,
  bl: number,
  p: number,
  rc: number,
  cw: number,
): number {
  let rh = ah;
  let rl = al;
  let E = ea - eb;
  if (ah < bh || (ah === bh && al < bl)) {
    rh = rh * 2 + (rl >>> 31);
    rl = (rl << 1) >>> 0;
    E -= 1;
  }
  let qh = 0;
  let ql = 0;
  for (let i = 0; i < 64; i++) {
    let bit = 0;
    if (rh > bh || (rh === bh && rl >= bl)) {
      rl -= bl;
      rh -= bh;
      if (rl < 0) {
        rl += TWO32;
        rh -= 1;
      }
      bit = 1;
    }
    qh = ((qh << 1) | (ql >>> 31)) >>> 0;
    ql = ((ql << 1) | bit) >>> 0;
    rh = rh * 2 + (rl >>> 31);
    rl = (rl << 1) >>> 0;
  }
  // r now holds twice the final remainder: compare it with the divisor for the rounding class.
  let fc: number;
  if (rh === 0 && rl === 0) fc = FRAC_ZERO;
  else if (rh > bh || (rh === bh && rl > bl)) fc = FRAC_HIGH;
  else fc = rh === bh && rl === bl ? FRAC_HALF : FRAC_LOW;
  return packExtended(out, neg, E, qh, ql, fc, p, rc, cw);
}

/** √((h:l)·2^(e−63)) by the digit-by-digit method: 64 root bits and the remainder's class. */
export function exactSqrt(
  out: Ext,
  e: number,
  h: number,
  l: number,
  p: number,
  rc: number,
  cw: number,
): number {
  // N = significand · 2^sh is a 128-bit integer whose integer square root has exactly 64 bits.
  const odd = (e & 1) !== 0;
  const sh = odd ? 64 : 63;
  let rh = 0;
  let rl = 0;
  let qh = 0;
  let ql = 0;
  for (let i = 63; i >= 0; i--) {
    const k = 2 * i - sh; // significand bit of the pair's low bit
    const pair = sigBit(h, l, k + 1) * 2 + sigBit(h, l, k);
    // R = 4R + pair
    rh = rh * 4 + (rl >>> 30);
    rl = ((rl << 2) | pair) >>> 0;
    // T = 4Q + 1
    const th = qh * 4 + (ql >>> 30);
    const tl = ((ql << 2) | 1) >>> 0;
    let bit = 0;
    if (rh > th || (rh === th && rl >= tl)) {
      rl -= tl;
      rh -= th;
      if (rl < 0) {
        rl += TWO32;
        rh -= 1;
      }
      bit = 1;
    }
    qh = qh * 2 + (ql >>> 31);
    ql = ((ql << 1) | bit) >>> 0;
  }
  // √N − Q > 1/2 exactly when R > Q (R is an integer; an exact half cannot occur).
  let fc: number;
  if (rh === 0 && rl === 0) fc = FRAC_ZERO;
  else fc = rh > qh || (rh === qh && rl > ql) ? FRAC_HIGH : FRAC_LOW;
  return packExtended(out, false, odd ? (e - 1) / 2 : e / 2, qh, ql, fc, p, rc, cw);
}

function sigBit(h: number, l: number, k: number): number {
  if (k < 0 || k > 63) return 0;
  return k >= 32 ? (h >>> (k - 32)) & 1 : (l >>> k) & 1;
}

/** Low three bits of the last {@link exactRemainder}'s quotient. */
export let remQ = 0;

/**
 * (ah:al mod bh:bl) after `steps` + 1 quotient bits (the exponent difference), FPREM style (quotient
 * truncated) or, with `ieee`, FPREM1 style (quotient rounded to nearest even). The remainder, scaled so
 * that bit 0 is worth 2^e0, is rounded (exactly: it fits) into `out`; `neg` is the dividend's sign.
 * Returns flags, or -1 for a zero remainder.
 */
export function exactRemainder(
  out: Ext,
  neg: boolean,
  ah: number,
  al: number,
  bh: number,
  bl: number,
  steps: number,
  ieee: boolean,
  e0: number,
  rc: number,
  cw: number,
): number {
  let rh = ah;
  let rl = al;
  let q = 0;
  for (let i = 0; i <= steps; i++) {
    if (i > 0) {
      rh = rh * 2 + (rl >>> 31);
      rl = (rl << 1) >>> 0;
    }
    q = (q * 2) & 7;
    if (rh > bh || (rh === bh && rl >= bl)) {
      rl -= bl;
      rh -= bh;
      if (rl < 0) {
        rl += TWO32;
        rh -= 1;
      }
      q |= 1;
    }
  }
  if (ieee) {
    // Twice the remainder against the divisor decides the rounding of the quotient.
    const th = rh * 2 + (rl >>> 31);
    const tl = (rl << 1) >>> 0;
    const above = th > bh || (th === bh && tl > bl);
    const tie = th === bh && tl === bl;
    if (above || (tie && (q & 1) === 1)) {
      // r − b: negative, so store b − r with the sign flipped.
      let nl = bl - rl;
      let nh = bh - rh;
      if (nl < 0) {
        nl += TWO32;
        nh -= 1;
      }
      rh = nh;
      rl = nl;
      neg = !neg;
      q = (q + 1) & 7;
    }
  }
  remQ = q;
  if (rh === 0 && rl === 0) return -1;
  W.fill(0);
  deposit(rh, rl, 0, 1);
  carrySmall();
  return packWide(out, neg, e0, 64, rc, cw);
}

/** (2·(bh:bl) − (ah:al)) with bit 0 worth 2^e0, for FPREM1 when the exponents differ by one. */
export function twiceMinus(
  out: Ext,
  neg: boolean,
  bh: number,
  bl: number,
  ah: number,
  al: number,
  e0: number,
  rc: number,
  cw: number,
): number {
  W.fill(0);
  deposit(bh, bl, 1, 1);
  deposit(ah, al, 0, -1);
  carrySmall();
  return packWide(out, neg, e0, 64, rc, cw);
}

/**
 * π/2 as the processor's trigonometric instructions know it: 66 significant bits,
 * 0x3_243F_6A88_85A3_08D3 · 2^-65, as 16-bit limbs, least significant first. Reducing with this constant
 * (not the true π) is what makes, e.g., FSIN of the double nearest π return 1.2246063538223773e-16.
 */
const HALF_PI = Float64Array.of(0x08d3, 0x85a3, 0x6a88, 0x243f, 0x3);

/**
 * x − q·(π/2), exact, rounded to 64 bits into `out`: x = (h:l)·2^(e−63) with −1 <= e <= 62, q a
 * non-negative integer below 2^63 held in a double. `neg` is the sign to give the result when it is
 * positive. Returns the flags, or −1 when the difference is exactly zero.
 */
export function reduceHalfPi(
  out: Ext,
  neg: boolean,
  e: number,
  h: number,
  l: number,
  q: number,
  rc: number,
  cw: number,
): number {
  W.fill(0);
  const qh = Math.floor(q / TWO32);
  const ql = q - qh * TWO32;
  // −q·P at scale 2^-65 (each partial product is below 2^32, each column below 2^35) …
  for (let i = 0; i < 4; i++) {
    const qi = limbOf(qh, ql, i);
    for (let k = 0; k < 5; k++) W[i + k] -= qi * HALF_PI[k];
  }
  // … plus x, whose bit 0 is worth 2^(e−63) = 2^-65 · 2^(e+2).
  deposit(h, l, e + 2, 1);
  carry();
  let negative = false;
  if (W[LIMBS - 1] < 0) {
    negative = true;
    for (let k = 0; k < LIMBS; k++) W[k] = -W[k];
    carry();
  }
  let zero = true;
  for (let k = 0; k < LIMBS && zero; k++) zero = W[k] === 0;
  if (zero) return -1;
  return packWide(out, neg !== negative, -65, 64, rc, cw);
}

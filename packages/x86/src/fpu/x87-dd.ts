/**
 * Double-double arithmetic (a value as the unevaluated sum hi + lo of two doubles, about 106 bits) and
 * the series the x87's transcendental instructions are evaluated with: ln, expm1, sin/cos and atan on
 * reduced arguments. Called by x87-transcendental.ts, which reduces the arguments, handles the special
 * cases and rounds the double-double result once to the 80-bit format.
 *
 * Results are returned in the module variables ddH/ddL (no allocation). The algorithms are the classic
 * error-free transformations: Knuth's TwoSum, Dekker's split product.
 */

/** The result of the last operation: ddH + ddL. */
export let ddH = 0;
export let ddL = 0;

const SPLIT = 134217729; // 2^27 + 1

function quickTwoSum(a: number, b: number): void {
  const s = a + b;
  ddL = b - (s - a);
  ddH = s;
}

/** (ah + al) + (bh + bl). */
export function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  const s = ah + bh;
  const bb = s - ah;
  const e = ah - (s - bb) + (bh - bb) + al + bl;
  quickTwoSum(s, e);
}

/** (ah + al) × (bh + bl); the operands must be well inside the double range (|x| < 2^990). */
export function ddMul(ah: number, al: number, bh: number, bl: number): void {
  const p = ah * bh;
  let c = SPLIT * ah;
  const a1 = c - (c - ah);
  const a2 = ah - a1;
  c = SPLIT * bh;
  const b1 = c - (c - bh);
  const b2 = bh - b1;
  const e = a1 * b1 - p + a1 * b2 + a2 * b1 + a2 * b2 + (ah * bl + al * bh);
  quickTwoSum(p, e);
}

/** (ah + al) ÷ (bh + bl), by three quotient digits. */
export function ddDiv(ah: number, al: number, bh: number, bl: number): void {
  const q1 = ah / bh;
  ddMul(q1, 0, bh, bl);
  ddAdd(ah, al, -ddH, -ddL);
  const q2 = ddH / bh;
  const rh = ddH;
  const rl = ddL;
  ddMul(q2, 0, bh, bl);
  ddAdd(rh, rl, -ddH, -ddL);
  const q3 = ddH / bh;
  quickTwoSum(q1, q2);
  ddAdd(ddH, ddL, q3, 0);
}

// Constants as double-doubles (the low parts are the well-known corrections of the double values).
export const LN2_H = Math.LN2;
export const LN2_L = 2.3190468138462996e-17;
export const PI_H = Math.PI;
export const PI_L = 1.2246467991473532e-16;
export const HALF_PI_H = 1.5707963267948966;
export const HALF_PI_L = 6.123233995736766e-17;
const SQRT3_H = Math.sqrt(3);
/** √3 − SQRT3_H, from the exact residual 3 − SQRT3_H² (one Newton step). */
const SQRT3_L = (() => {
  ddMul(SQRT3_H, 0, SQRT3_H, 0);
  ddAdd(3, 0, -ddH, -ddL);
  return ddH / (2 * SQRT3_H);
})();
/** π/6. */
const SIXTH_PI = (() => {
  ddDiv(PI_H, PI_L, 6, 0);
  return [ddH, ddL] as const;
})();

const EPS = 2 ** -112;

/** 1/n! for n = 0 … 59 and 1/n for n = 1 … 199 as double-doubles, so the series multiply instead of divide. */
const INV_FACT_H = new Float64Array(60);
const INV_FACT_L = new Float64Array(60);
const INV_H = new Float64Array(200);
const INV_L = new Float64Array(200);
INV_FACT_H[0] = 1;
for (let n = 1; n < 60; n++) {
  ddDiv(INV_FACT_H[n - 1], INV_FACT_L[n - 1], n, 0);
  INV_FACT_H[n] = ddH;
  INV_FACT_L[n] = ddL;
}
for (let n = 1; n < 200; n++) {
  ddDiv(1, 0, n, 0);
  INV_H[n] = ddH;
  INV_L[n] = ddL;
}

/** ln(m) for m (= mh + ml) in about [0.7, 1.5], as 2·atanh((m − 1)/(m + 1)). */
export function ddLog(mh: number, ml: number): void {
  ddAdd(mh, ml, -1, 0);
  const nh = ddH;
  const nl = ddL;
  ddAdd(mh, ml, 1, 0);
  ddDiv(nh, nl, ddH, ddL);
  atanhSeries(ddH, ddL);
}

/** ln(1 + x) for small x (|x| < 0.5), as 2·atanh(x/(2 + x)). */
export function ddLog1p(xh: number, xl: number): void {
  ddAdd(xh, xl, 2, 0);
  ddDiv(xh, xl, ddH, ddL);
  atanhSeries(ddH, ddL);
}

/** 2·atanh(t) = 2·(t + t³/3 + t⁵/5 + …) for |t| < 0.2. */
function atanhSeries(th: number, tl: number): void {
  ddMul(th, tl, th, tl);
  const t2h = ddH;
  const t2l = ddL;
  let ph = th; // t^(2k+1)
  let pl = tl;
  let sh = th;
  let sl = tl;
  for (let k = 1; k < 99; k++) {
    ddMul(ph, pl, t2h, t2l);
    ph = ddH;
    pl = ddL;
    ddMul(ph, pl, INV_H[2 * k + 1], INV_L[2 * k + 1]);
    if (Math.abs(ddH) < EPS * Math.abs(sh) || ddH === 0) break;
    ddAdd(sh, sl, ddH, ddL);
    sh = ddH;
    sl = ddL;
  }
  ddH = 2 * sh;
  ddL = 2 * sl;
}

/** e^z − 1 for |z| < 0.75 (Taylor series). */
export function ddExpm1(zh: number, zl: number): void {
  let ph = zh; // z^n
  let pl = zl;
  let sh = zh;
  let sl = zl;
  let th: number;
  let tl: number;
  for (let n = 2; n < 60; n++) {
    ddMul(ph, pl, zh, zl);
    ph = ddH;
    pl = ddL;
    ddMul(ph, pl, INV_FACT_H[n], INV_FACT_L[n]);
    th = ddH;
    tl = ddL;
    if (Math.abs(th) < EPS * Math.abs(sh) || th === 0) break;
    ddAdd(sh, sl, th, tl);
    sh = ddH;
    sl = ddL;
  }
  ddH = sh;
  ddL = sl;
}

/** sin(r) into sinH/sinL and cos(r) into cosH/cosL, for |r| <= about 0.8 (Taylor series). */
export function ddSinCos(rh: number, rl: number): void {
  ddMul(rh, rl, rh, rl);
  const r2h = ddH;
  const r2l = ddL;
  // sin: r − r³/3! + … (ph = ±r^(n+1))
  let ph = rh;
  let pl = rl;
  let th: number;
  let tl: number;
  let sh = rh;
  let sl = rl;
  for (let n = 2; n < 58; n += 2) {
    ddMul(ph, pl, -r2h, -r2l);
    ph = ddH;
    pl = ddL;
    ddMul(ph, pl, INV_FACT_H[n + 1], INV_FACT_L[n + 1]);
    th = ddH;
    tl = ddL;
    if (Math.abs(th) < EPS * Math.abs(sh) || th === 0) break;
    ddAdd(sh, sl, th, tl);
    sh = ddH;
    sl = ddL;
  }
  sinH = sh;
  sinL = sl;
  // cos: 1 − r²/2! + …
  ph = 1;
  pl = 0;
  sh = 1;
  sl = 0;
  for (let n = 1; n < 58; n += 2) {
    ddMul(ph, pl, -r2h, -r2l);
    ph = ddH;
    pl = ddL;
    ddMul(ph, pl, INV_FACT_H[n + 1], INV_FACT_L[n + 1]);
    th = ddH;
    tl = ddL;
    if (Math.abs(th) < EPS) break;
    ddAdd(sh, sl, th, tl);
    sh = ddH;
    sl = ddL;
  }
  cosH = sh;
  cosL = sl;
}
export let sinH = 0;
export let sinL = 0;
export let cosH = 0;
export let cosL = 0;

/** atan(t) for 0 <= t <= 1: above tan(π/12) through atan(t) = π/6 + atan((t√3 − 1)/(t + √3)). */
export function ddAtan(th: number, tl: number): void {
  let offH = 0;
  let offL = 0;
  if (th > 0.2679491924311227) {
    ddMul(th, tl, SQRT3_H, SQRT3_L);
    ddAdd(ddH, ddL, -1, 0);
    const nh = ddH;
    const nl = ddL;
    ddAdd(th, tl, SQRT3_H, SQRT3_L);
    ddDiv(nh, nl, ddH, ddL);
    th = ddH;
    tl = ddL;
    offH = SIXTH_PI[0];
    offL = SIXTH_PI[1];
  }
  // t − t³/3 + t⁵/5 − …, |t| <= tan(π/12).
  ddMul(th, tl, th, tl);
  const t2h = -ddH;
  const t2l = -ddL;
  let ph = th;
  let pl = tl;
  let sh = th;
  let sl = tl;
  for (let k = 1; k < 99; k++) {
    ddMul(ph, pl, t2h, t2l);
    ph = ddH;
    pl = ddL;
    ddMul(ph, pl, INV_H[2 * k + 1], INV_L[2 * k + 1]);
    if (Math.abs(ddH) < EPS * Math.abs(sh) || ddH === 0) break;
    ddAdd(sh, sl, ddH, ddL);
    sh = ddH;
    sl = ddL;
  }
  ddAdd(sh, sl, offH, offL);
}

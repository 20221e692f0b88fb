import { describe, expect, it } from 'vitest';
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
  ddMul,
  ddSinCos,
  LN2_H,
  LN2_L,
  PI_H,
  PI_L,
  sinH,
  sinL,
} from './x87-dd.js';

/** |(ah + al) − (bh + bl)| relative to |b|, evaluated in double-double. */
function relErr(ah: number, al: number, bh: number, bl: number): number {
  ddAdd(ah, al, -bh, -bl);
  return Math.abs(ddH) / Math.abs(bh);
}

describe('double-double arithmetic', () => {
  it('divides and multiplies back to well below a double ulp', () => {
    ddDiv(1, 0, 3, 0);
    ddMul(ddH, ddL, 3, 0);
    expect(relErr(ddH, ddL, 1, 0)).toBeLessThan(2 ** -100);
  });

  it('evaluates ln, expm1, sin/cos and atan to about 100 bits', () => {
    ddLog(1.5, 0);
    const l15h = ddH;
    const l15l = ddL;
    ddLog(1.125, 0);
    ddAdd(2 * l15h, 2 * l15l, -ddH, -ddL); // 2·ln 1.5 − ln 1.125 = ln 2
    expect(relErr(ddH, ddL, LN2_H, LN2_L)).toBeLessThan(2 ** -100);
    ddExpm1(LN2_H, LN2_L); // e^ln2 − 1 = 1
    expect(relErr(ddH, ddL, 1, 0)).toBeLessThan(2 ** -100);
    for (const r of [0.1, 0.5, 0.78]) {
      ddSinCos(r, 0);
      const [sh, sl, ch, cl] = [sinH, sinL, cosH, cosL];
      ddMul(sh, sl, sh, sl);
      const s2h = ddH;
      const s2l = ddL;
      ddMul(ch, cl, ch, cl);
      ddAdd(ddH, ddL, s2h, s2l); // sin² + cos²
      expect(relErr(ddH, ddL, 1, 0)).toBeLessThan(2 ** -100);
    }
    ddAtan(1, 0); // π/4
    ddMul(ddH, ddL, 4, 0);
    expect(relErr(ddH, ddL, PI_H, PI_L)).toBeLessThan(2 ** -100);
  });
});

import { describe, expect, it } from 'vitest';
import {
  bitsHi,
  bitsLo,
  doubleBits,
  doubleFromBits,
  EX_DE,
  EX_IE,
  EX_PE,
  EX_UE,
  Ext,
  extFromBcd,
  extFromDouble,
  extFromFloat,
  extFromSigned,
  extToBcd,
  extToNumber,
  extToSigned,
  floatBits,
  floatFromBits,
  intHi,
  intLo,
  packFloat,
  RC_CHOP,
  RC_DOWN,
  RC_NEAREST,
  RC_UP,
} from './x87-formats.js';

const ALL_MASKED = 0x3f;

/** Deterministic doubles over the whole range, including denormals. */
function* doubles(n: number): Generator<number> {
  let s = 0x12345678;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  for (let k = 0; k < n; k++) {
    const v = doubleFromBits(next(), next());
    if (Number.isFinite(v)) yield v;
  }
}

function load(v: number): Ext {
  const x = new Ext();
  doubleBits(v);
  extFromDouble(x, bitsHi, bitsLo);
  return x;
}

describe('double and single conversions', () => {
  it('round-trips every finite double through the 80-bit image bit-exactly', () => {
    for (const v of doubles(5000)) {
      const x = load(v);
      expect(extToNumber(x)).toBe(v);
      const flags = packFloat(x, 53, RC_NEAREST, ALL_MASKED);
      expect(doubleFromBits(bitsHi, bitsLo)).toBe(v);
      expect(flags & EX_PE).toBe(0);
    }
  });

  it('flags denormal double sources and SNaNs on load', () => {
    const x = new Ext();
    expect(extFromDouble(x, 0, 1)).toBe(EX_DE);
    expect(extToNumber(x)).toBe(5e-324);
    expect(extFromDouble(x, 0x7ff00000, 1)).toBe(EX_IE);
    expect(x.isSignaling()).toBe(false); // quietened
    expect(extFromFloat(x, 0x00000001)).toBe(EX_DE);
    expect(extToNumber(x)).toBe(floatFromBits(1));
  });

  it('rounds to single like Math.fround with round-to-nearest', () => {
    for (const v of doubles(5000)) {
      const scaled = v * 2 ** -900; // bring many into the single range, denormals included
      const x = load(scaled);
      packFloat(x, 24, RC_NEAREST, ALL_MASKED);
      expect(bitsLo).toBe(floatBits(scaled));
    }
  });

  it('rounds to single in the direction of each rounding control', () => {
    for (const v of doubles(3000)) {
      const scaled = v * 2 ** -1000;
      const x = load(scaled);
      const near = Math.fround(scaled);
      packFloat(x, 24, RC_DOWN, ALL_MASKED);
      const down = floatFromBits(bitsLo);
      packFloat(x, 24, RC_UP, ALL_MASKED);
      const up = floatFromBits(bitsLo);
      packFloat(x, 24, RC_CHOP, ALL_MASKED);
      const chop = floatFromBits(bitsLo);
      expect(down <= scaled && scaled <= up).toBe(true);
      expect(near === down || near === up).toBe(true);
      expect(chop).toBe(scaled < 0 ? up : down);
      if (down !== up) expect(floatBits(up) - floatBits(down)).toBe(scaled < 0 ? -1 : 1);
    }
  });

  it('overflows and underflows on store with the masked responses', () => {
    const x = load(1e300);
    const f = packFloat(x, 24, RC_NEAREST, ALL_MASKED);
    expect(floatFromBits(bitsLo)).toBe(Number.POSITIVE_INFINITY);
    expect(f & 0x28).toBe(0x28); // OE | PE
    packFloat(x, 24, RC_CHOP, ALL_MASKED);
    expect(floatFromBits(bitsLo)).toBe(3.4028234663852886e38);
    const tiny = load(1e-50);
    expect(packFloat(tiny, 24, RC_NEAREST, ALL_MASKED) & EX_UE).toBe(EX_UE);
    expect(floatFromBits(bitsLo)).toBe(0);
    packFloat(tiny, 24, RC_UP, ALL_MASKED);
    expect(floatFromBits(bitsLo)).toBe(floatFromBits(1));
  });
});

describe('integer conversions', () => {
  it('rounds under each rounding control and detects overflow', () => {
    const cases: [number, number, number][] = [
      [2.5, RC_NEAREST, 2],
      [3.5, RC_NEAREST, 4],
      [-2.5, RC_DOWN, -3],
      [-2.5, RC_UP, -2],
      [-2.9, RC_CHOP, -2],
      [0.25, RC_UP, 1],
      [-0.25, RC_DOWN, -1],
      [32767.4, RC_NEAREST, 32767],
    ];
    for (const [v, rc, want] of cases) {
      extToSigned(load(v), 16, rc);
      expect((intLo << 16) >> 16).toBe(want);
    }
    expect(extToSigned(load(32768), 16, RC_NEAREST)).toBe(EX_IE);
    expect(intLo).toBe(0x8000);
    expect(extToSigned(load(-32768), 16, RC_NEAREST)).toBe(0);
    expect(extToSigned(load(2 ** 63), 64, RC_NEAREST)).toBe(EX_IE);
    expect(extToSigned(load(-(2 ** 63)), 64, RC_NEAREST)).toBe(0);
    expect([intHi, intLo]).toEqual([0x80000000, 0]);
  });

  it('loads every 64-bit integer exactly', () => {
    const x = new Ext();
    for (const [hi, lo] of [
      [0x7fffffff, 0xffffffff],
      [0x80000000, 0],
      [0xffffffff, 0xffffffff],
      [0x00000001, 0x00000001],
    ]) {
      extFromSigned(x, hi, lo);
      extToSigned(x, 64, RC_NEAREST);
      expect([intHi, intLo]).toEqual([hi, lo]);
    }
  });

  it('converts packed BCD exactly, up to 18 digits', () => {
    const bytes = Uint8Array.from([0x89, 0x67, 0x45, 0x23, 0x01, 0x89, 0x67, 0x45, 0x23, 0x80]);
    const x = new Ext();
    extFromBcd(x, bytes);
    const out = new Uint8Array(10);
    expect(extToBcd(x, RC_NEAREST, out)).toBe(0);
    expect(out).toEqual(bytes);
  });
});

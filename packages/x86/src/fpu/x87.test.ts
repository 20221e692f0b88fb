import { describe, expect, it } from 'vitest';
import { exec, FakeFault, FakeHost, freshFpu } from './test-host.js';
import { X87_UD } from './x87.js';

const M = 0x100; // memory operand
/** ModRM of a memory form with /reg (mod 00, disp32). */
const m = (reg: number) => (reg << 3) | 5;

const IE = 0x01;
const ZE = 0x04;
const PE = 0x20;
const SF = 0x40;
const ES = 0x80;
const C0 = 0x100;
const C1 = 0x200;
const C2 = 0x400;
const C3 = 0x4000;
const B = 0x8000;

function setup() {
  return { fpu: freshFpu(), host: new FakeHost() };
}
function fldDouble(s: ReturnType<typeof setup>, v: number) {
  s.host.putDouble(M, v);
  expect(exec(s.fpu, s.host, 0xdd, m(0), M)).toBe(0);
}
function fstpDouble(s: ReturnType<typeof setup>): number {
  exec(s.fpu, s.host, 0xdd, m(3), M);
  return s.host.getDouble(M);
}
function fldcw(s: ReturnType<typeof setup>, cw: number) {
  s.host.write16(0x200, cw);
  exec(s.fpu, s.host, 0xd9, m(5), 0x200);
}
function hex80(s: ReturnType<typeof setup>): string {
  exec(s.fpu, s.host, 0xdb, m(7), M); // FSTP m80
  let h = '';
  for (let k = 9; k >= 0; k--) h += s.host.ram[M + k].toString(16).padStart(2, '0');
  return h;
}

describe('X87 state', () => {
  it('starts in the FNINIT state', () => {
    const { fpu } = setup();
    expect(fpu.controlWord).toBe(0x037f);
    expect(fpu.statusWord).toBe(0);
    expect(fpu.tagWord).toBe(0xffff);
    expect(fpu.exceptionPending).toBe(false);
    expect([fpu.lastIp, fpu.lastCs, fpu.lastDp, fpu.lastDs, fpu.lastOpcode]).toEqual([0, 0, 0, 0, 0]);
  });

  it('offers register accessors by stack index', () => {
    const { fpu } = setup();
    fpu.push(1.5);
    fpu.push(-2);
    expect(fpu.top).toBe(6);
    expect(fpu.getRegister(0)).toBe(-2);
    expect(fpu.getRegister(1)).toBe(1.5);
    expect(fpu.isEmpty(2)).toBe(true);
    const img = new Uint8Array(10);
    fpu.readRegisterImage(1, img);
    expect([...img]).toEqual([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x3f]);
    img[0] = 1; // 1.5 + 2^-63: not a double
    fpu.writeRegisterImage(1, img);
    const back = new Uint8Array(10);
    fpu.readRegisterImage(1, back);
    expect(back).toEqual(img);
    fpu.setRegister(0, 3);
    expect(fpu.getRegister(0)).toBe(3);
  });

  it('keeps the control word bits the hardware keeps (bit 6 reads as 1)', () => {
    const s = setup();
    fldcw(s, 0xffff);
    expect(s.fpu.controlWord).toBe(0x1f7f);
    fldcw(s, 0);
    expect(s.fpu.controlWord).toBe(0x0040);
    exec(s.fpu, s.host, 0xd9, m(7), 0x300); // FNSTCW
    expect(s.host.read16(0x300)).toBe(0x0040);
  });
});

describe('loads and stores', () => {
  it('moves doubles through the stack exactly and tracks TOP and tags', () => {
    const s = setup();
    fldDouble(s, 0.1);
    expect(s.fpu.top).toBe(7);
    expect(s.fpu.tagWord).toBe(0x3fff);
    fldDouble(s, 0);
    expect(s.fpu.tagWord).toBe(0x1fff); // zero tag for physical 6
    expect(fstpDouble(s)).toBe(0);
    expect(fstpDouble(s)).toBe(0.1);
    expect(s.fpu.top).toBe(0);
    expect(s.fpu.tagWord).toBe(0xffff);
  });

  it('loads and stores singles with rounding control and the precision flag', () => {
    const s = setup();
    s.host.putFloat(M, 1.5);
    exec(s.fpu, s.host, 0xd9, m(0), M);
    expect(s.fpu.getRegister(0)).toBe(1.5);
    fldDouble(s, 1 + 2 ** -30);
    exec(s.fpu, s.host, 0xd9, m(2), M); // FST m32, nearest
    expect(s.host.getFloat(M)).toBe(1);
    expect(s.fpu.statusWord & (PE | C1)).toBe(PE);
    fldcw(s, 0x037f | (2 << 10)); // round up
    exec(s.fpu, s.host, 0xd9, m(3), M); // FSTP m32
    expect(s.host.getFloat(M)).toBe(1 + 2 ** -23);
    expect(s.fpu.statusWord & C1).toBe(C1);
  });

  it('round-trips 80-bit images that no double can hold, and rounds them on a double store', () => {
    const s = setup();
    const img = [0x01, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]; // 1 + 2^-63
    s.host.ram.set(img, M);
    exec(s.fpu, s.host, 0xdb, m(5), M); // FLD m80
    exec(s.fpu, s.host, 0xd9, 0xc0); // FLD ST(0)
    expect(hex80(s)).toBe('3fff8000000000000001');
    fldcw(s, 0x037f | (2 << 10));
    expect(fstpDouble(s)).toBe(1 + 2 ** -52); // rounded up
  });

  it('round-trips 64-bit integers exactly (the FILD/FISTP copy idiom)', () => {
    const s = setup();
    s.host.write32(M, 0xffffffff);
    s.host.write32(M + 4, 0x7fffffff);
    exec(s.fpu, s.host, 0xdf, m(5), M); // FILD m64
    s.host.ram.fill(0, M, M + 8);
    exec(s.fpu, s.host, 0xdf, m(7), M); // FISTP m64
    expect([s.host.read32(M), s.host.read32(M + 4)]).toEqual([0xffffffff, 0x7fffffff]);
    expect(s.fpu.statusWord & 0x3f).toBe(0);
  });

  it('converts to integers under each rounding control', () => {
    const s = setup();
    const results: number[] = [];
    for (const rc of [0, 1, 2, 3])
      for (const v of [2.5, -2.5, 3.5, -0.7]) {
        fldcw(s, 0x037f | (rc << 10));
        fldDouble(s, v);
        exec(s.fpu, s.host, 0xdb, m(3), M); // FISTP m32
        results.push(s.host.read32(M) | 0);
      }
    expect(results).toEqual([2, -2, 4, -1, 2, -3, 3, -1, 3, -2, 4, 0, 2, -2, 3, 0]);
  });

  it('stores the integer indefinite for out-of-range values (IE)', () => {
    const s = setup();
    fldDouble(s, 40000);
    exec(s.fpu, s.host, 0xdf, m(3), M); // FISTP m16
    expect(s.host.read16(M)).toBe(0x8000);
    expect(s.fpu.statusWord & IE).toBe(IE);
    expect(s.fpu.exceptionPending).toBe(false);
  });

  it('loads 16- and 32-bit integers with sign', () => {
    const s = setup();
    s.host.write16(M, 0xfffe);
    exec(s.fpu, s.host, 0xdf, m(0), M);
    s.host.write32(M, 0x80000000);
    exec(s.fpu, s.host, 0xdb, m(0), M);
    expect(s.fpu.getRegister(0)).toBe(-(2 ** 31));
    expect(s.fpu.getRegister(1)).toBe(-2);
  });

  it('converts packed BCD both ways', () => {
    const s = setup();
    s.host.ram.set([0x90, 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0, 0x80], M);
    exec(s.fpu, s.host, 0xdf, m(4), M); // FBLD
    expect(s.fpu.getRegister(0)).toBe(-1234567890);
    fldDouble(s, 2.5);
    exec(s.fpu, s.host, 0xde, 0xc1); // FADDP → -1234567887.5
    s.host.ram.fill(0xee, 0x300, 0x30a);
    exec(s.fpu, s.host, 0xdf, m(6), 0x300); // FBSTP (nearest even: ...888)
    expect([...s.host.ram.subarray(0x300, 0x30a)]).toEqual([0x88, 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0, 0x80]);
    fldDouble(s, 1e18);
    exec(s.fpu, s.host, 0xdf, m(6), 0x300);
    expect([...s.host.ram.subarray(0x300, 0x30a)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff]);
    expect(s.fpu.statusWord & IE).toBe(IE);
  });

  it('loads the constants, rounded as the rounding control says', () => {
    const s = setup();
    const ops = [0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee];
    for (const op of ops) exec(s.fpu, s.host, 0xd9, op);
    expect(s.fpu.getRegister(0)).toBe(0);
    expect(s.fpu.getRegister(1)).toBe(Math.LN2);
    expect(s.fpu.getRegister(2)).toBeCloseTo(Math.log10(2), 15);
    expect(s.fpu.getRegister(3)).toBe(Math.PI);
    expect(s.fpu.getRegister(4)).toBe(Math.LOG2E);
    expect(s.fpu.getRegister(5)).toBe(Math.log2(10));
    expect(s.fpu.getRegister(6)).toBe(1);
    const t = setup();
    exec(t.fpu, t.host, 0xd9, 0xeb);
    expect(hex80(t)).toBe('4000c90fdaa22168c235');
    fldcw(t, 0x037f | (1 << 10));
    exec(t.fpu, t.host, 0xd9, 0xeb);
    expect(hex80(t)).toBe('4000c90fdaa22168c234');
  });
});

describe('arithmetic', () => {
  function binary(reg: number, a: number, b: number, opcode = 0xd8, rm = 1) {
    const s = setup();
    fldDouble(s, b);
    fldDouble(s, a); // ST0 = a, ST1 = b
    exec(s.fpu, s.host, opcode, 0xc0 | (reg << 3) | rm);
    return s;
  }

  it('computes every D8 register form as ST0 = ST0 op ST1', () => {
    expect(binary(0, 6, 3).fpu.getRegister(0)).toBe(9);
    expect(binary(1, 6, 3).fpu.getRegister(0)).toBe(18);
    expect(binary(4, 6, 3).fpu.getRegister(0)).toBe(3);
    expect(binary(5, 6, 3).fpu.getRegister(0)).toBe(-3);
    expect(binary(6, 6, 3).fpu.getRegister(0)).toBe(2);
    expect(binary(7, 6, 3).fpu.getRegister(0)).toBe(0.5);
  });

  it('computes the DC forms into ST(i) and the DE forms with a pop', () => {
    const sub = binary(5, 6, 3, 0xdc); // FSUB ST(1), ST0: ST1 = 3 - 6
    expect(sub.fpu.getRegister(1)).toBe(-3);
    const subr = binary(4, 6, 3, 0xdc); // FSUBR ST(1), ST0: ST1 = 6 - 3
    expect(subr.fpu.getRegister(1)).toBe(3);
    const divp = binary(7, 6, 3, 0xde); // FDIVP: ST1 = 3 / 6, pop
    expect(divp.fpu.getRegister(0)).toBe(0.5);
    expect(divp.fpu.top).toBe(7);
    const divrp = binary(6, 6, 3, 0xde); // FDIVRP: ST1 = 6 / 3, pop
    expect(divrp.fpu.getRegister(0)).toBe(2);
  });

  it('takes memory operands of every format', () => {
    const s = setup();
    fldDouble(s, 10);
    s.host.write32(M, 5);
    exec(s.fpu, s.host, 0xda, m(0), M); // FIADD m32int
    s.host.write16(M, 0xfffd);
    exec(s.fpu, s.host, 0xde, m(5), M); // FISUBR m16int: -3 - 15
    s.host.putFloat(M, 0.5);
    exec(s.fpu, s.host, 0xd8, m(1), M); // FMUL m32real
    s.host.putDouble(M, 3);
    exec(s.fpu, s.host, 0xdc, m(6), M); // FDIV m64real
    expect(s.fpu.getRegister(0)).toBe(-3);
  });

  it('honours precision control (1/3 in 64, 53 and 24 bits)', () => {
    const s = setup();
    const third = () => {
      exec(s.fpu, s.host, 0xd9, 0xe8); // FLD1
      s.host.write16(M, 3);
      exec(s.fpu, s.host, 0xde, m(6), M); // FIDIV m16int
      return hex80(s);
    };
    expect(third()).toBe('3ffdaaaaaaaaaaaaaaab');
    fldcw(s, 0x027f);
    expect(third()).toBe('3ffdaaaaaaaaaaaaa800');
    fldcw(s, 0x007f);
    expect(third()).toBe('3ffdaaaaab0000000000');
  });

  it('rounds 0 − b to the precision in the direction of −b', () => {
    const s = setup();
    fldcw(s, 0x0a7f); // 53 bits, round up
    s.host.ram.set([1, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f], M); // 1 + 2^-63
    exec(s.fpu, s.host, 0xdb, m(5), M);
    exec(s.fpu, s.host, 0xd9, 0xee); // FLDZ
    exec(s.fpu, s.host, 0xde, 0xe1); // FSUBRP: ST1 = ST0 − ST1 = 0 − (1 + 2^-63), rounded up: −1
    expect(hex80(s)).toBe('bfff8000000000000000');
  });

  it('gives exact extended results where a double would round (1 + 2^-60)', () => {
    const s = setup();
    fldDouble(s, 2 ** -60);
    exec(s.fpu, s.host, 0xd9, 0xe8);
    exec(s.fpu, s.host, 0xde, 0xc1); // FADDP
    expect(hex80(s)).toBe('3fff8000000000000008');
    expect(s.fpu.statusWord & PE).toBe(0);
  });

  it('computes square root, remainders, rounding, scale and extract', () => {
    const s = setup();
    fldDouble(s, 2);
    exec(s.fpu, s.host, 0xd9, 0xfa); // FSQRT
    expect(s.fpu.getRegister(0)).toBe(Math.SQRT2);
    const rem = (ieee: boolean, a: number, b: number) => {
      const t = setup();
      fldDouble(t, b);
      fldDouble(t, a);
      exec(t.fpu, t.host, 0xd9, ieee ? 0xf5 : 0xf8);
      return [t.fpu.getRegister(0), t.fpu.statusWord & (C0 | C1 | C2 | C3)];
    };
    expect(rem(false, 7, 3)).toEqual([1, C3]); // Q = 2: C3 = Q1
    expect(rem(false, 8, 3)).toEqual([2, C3]);
    expect(rem(true, 8, 3)).toEqual([-1, C3 | C1]); // Q = 3
    expect(rem(false, -21, 4)).toEqual([-1, C0 | C1]); // Q = 5
    expect(rem(false, 2 ** 100, 3)[1]).toBe(C2); // partial
    const t = setup();
    fldDouble(t, 4);
    fldDouble(t, 3);
    exec(t.fpu, t.host, 0xd9, 0xfd); // FSCALE: 3 * 2^4
    expect(t.fpu.getRegister(0)).toBe(48);
    exec(t.fpu, t.host, 0xd9, 0xf4); // FXTRACT
    expect([t.fpu.getRegister(0), t.fpu.getRegister(1)]).toEqual([1.5, 5]);
    fldDouble(t, -2.5);
    exec(t.fpu, t.host, 0xd9, 0xfc); // FRNDINT, nearest even
    expect(t.fpu.getRegister(0)).toBe(-2);
  });

  it('computes the transcendental functions to double accuracy', () => {
    const s = setup();
    const one = (op: number, x: number) => {
      fldDouble(s, x);
      exec(s.fpu, s.host, 0xd9, op);
      return fstpDouble(s);
    };
    expect(one(0xfe, 0.5)).toBeCloseTo(Math.sin(0.5), 15);
    expect(one(0xff, 0.5)).toBeCloseTo(Math.cos(0.5), 15);
    expect(one(0xf0, 0.5)).toBeCloseTo(Math.SQRT2 - 1, 15);
    fldDouble(s, 0.5);
    exec(s.fpu, s.host, 0xd9, 0xf2); // FPTAN pushes 1
    expect(fstpDouble(s)).toBe(1);
    expect(fstpDouble(s)).toBeCloseTo(Math.tan(0.5), 15);
    fldDouble(s, 0.5);
    exec(s.fpu, s.host, 0xd9, 0xfb); // FSINCOS: ST0 = cos, ST1 = sin
    expect(fstpDouble(s)).toBeCloseTo(Math.cos(0.5), 15);
    expect(fstpDouble(s)).toBeCloseTo(Math.sin(0.5), 15);
    fldDouble(s, 3);
    fldDouble(s, 8);
    exec(s.fpu, s.host, 0xd9, 0xf1); // FYL2X: 3 * log2(8)
    expect(fstpDouble(s)).toBe(9);
    fldDouble(s, 1);
    fldDouble(s, -1);
    exec(s.fpu, s.host, 0xd9, 0xf3); // FPATAN: atan2(1, -1)
    expect(fstpDouble(s)).toBeCloseTo((3 * Math.PI) / 4, 15);
    fldDouble(s, 2);
    fldDouble(s, 0.25);
    exec(s.fpu, s.host, 0xd9, 0xf9); // FYL2XP1: 2 * log2(1.25)
    expect(fstpDouble(s)).toBeCloseTo(2 * Math.log2(1.25), 15);
    fldDouble(s, 2 ** 63);
    exec(s.fpu, s.host, 0xd9, 0xfe); // out of range: C2 = 1, unchanged
    expect(s.fpu.statusWord & C2).toBe(C2);
    expect(fstpDouble(s)).toBe(2 ** 63);
  });

  it('reduces trigonometric arguments with the 66-bit π of the processor', () => {
    const s = setup();
    fldDouble(s, Math.PI);
    exec(s.fpu, s.host, 0xd9, 0xfe); // FSIN
    expect(fstpDouble(s)).toBe(1.2246063538223773e-16); // the true sin is 1.2246467991473532e-16
    fldDouble(s, 1e10);
    exec(s.fpu, s.host, 0xd9, 0xfe);
    expect(fstpDouble(s)).toBeCloseTo(-0.48750602507627, 13); // as the processor, not Math.sin(1e10)
    expect(s.fpu.statusWord & PE).toBe(PE);
  });

  it('computes the transcendental functions to extended precision, over the whole exponent range', () => {
    const s = setup();
    const image = (hex: string) => {
      for (let k = 0; k < 10; k++) s.host.ram[M + 9 - k] = Number.parseInt(hex.slice(2 * k, 2 * k + 2), 16);
      exec(s.fpu, s.host, 0xdb, m(5), M);
    };
    exec(s.fpu, s.host, 0xd9, 0xe8); // FLD1
    exec(s.fpu, s.host, 0xd9, 0xe9); // FLDL2T
    exec(s.fpu, s.host, 0xd9, 0xf1); // FYL2X: log2(log2 10), as the processor rounds it
    expect(hex80(s)).toBe('3fffddb2dbec0456f846'); // recorded on the processor, as the two below
    image('7ffe8000000000000000'); // y = 2^16383
    image('00018000000000000000'); // x = 2^-16382
    exec(s.fpu, s.host, 0xd9, 0xf3); // FPATAN: π/2 (x is negligible)
    expect(hex80(s)).toBe('3fffc90fdaa22168c235');
    image('00018000000000000000'); // y tiny
    image('7ffe8000000000000000'); // x huge
    exec(s.fpu, s.host, 0xd9, 0xf3); // FPATAN: y/x, far below the double range
    expect(hex80(s)).toBe('00000000000000000000');
    expect(s.fpu.statusWord & 0x30).toBe(0x30); // UE and PE
  });

  it('leaves F2XM1 arguments beyond ±1 alone but reports PE', () => {
    const s = setup();
    fldDouble(s, 2.5);
    exec(s.fpu, s.host, 0xd9, 0xf0);
    expect(s.fpu.getRegister(0)).toBe(2.5);
    expect(s.fpu.statusWord & (PE | C1)).toBe(PE);
  });

  it('wraps the exponent of an unmasked overflow, and saturates a scale beyond any exponent', () => {
    const s = setup();
    fldcw(s, 0x0377); // OE unmasked
    s.host.ram.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x7f], M); // largest finite
    exec(s.fpu, s.host, 0xdb, m(5), M);
    exec(s.fpu, s.host, 0xd9, 0xc0); // FLD ST0
    exec(s.fpu, s.host, 0xde, 0xc9); // FMULP: 2^32767 · 2^32767 overflows
    const img = new Uint8Array(10);
    s.fpu.readRegisterImage(0, img);
    // (2 − 2^-63)² · 2^32766 ≈ 1.99 · 2^32767: biased exponent 32767 + 16383 = 49150, wrapped by 24576.
    expect(img[9] * 256 + img[8]).toBe(49150 - 24576);
    expect(s.fpu.exceptionPending).toBe(true);
    const t = setup();
    fldcw(t, 0x0377);
    fldDouble(t, 1e300); // scale
    fldDouble(t, 1);
    exec(t.fpu, t.host, 0xd9, 0xfd); // FSCALE: far beyond even the wrapped range
    expect(t.fpu.getRegister(0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('gives the largest finite number of the precision for a masked overflow rounded toward zero', () => {
    const want: [number, string][] = [
      [0x0f7f, '7ffeffffffffffffffff'],
      [0x0e7f, '7ffefffffffffffff800'],
      [0x0c7f, '7ffeffffff0000000000'],
    ];
    for (const [cw, image] of want) {
      const s = setup();
      fldcw(s, cw);
      s.host.ram.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x7f], M);
      exec(s.fpu, s.host, 0xdb, m(5), M);
      exec(s.fpu, s.host, 0xd9, 0xc0);
      exec(s.fpu, s.host, 0xde, 0xc1); // FADDP: overflows
      expect(hex80(s)).toBe(image);
      expect(s.fpu.statusWord & 0x28).toBe(0x28); // OE, PE
    }
  });

  it('rounds denormal results at the fixed bit of the precision control', () => {
    const s = setup();
    fldcw(s, 0x007f); // 24-bit precision
    s.host.ram.set([0, 0, 0, 0, 0, 0, 0, 0x80, 0x01, 0x00], M); // 2^-16382
    exec(s.fpu, s.host, 0xdb, m(5), M);
    fldDouble(s, 3);
    exec(s.fpu, s.host, 0xde, 0xf9); // FDIVP: 2^-16382 / 3 is a denormal
    const img = new Uint8Array(10);
    s.fpu.readRegisterImage(0, img);
    // 0.0101…01011 (23 kept bits below the leading zero, then rounded): significand 0x2AAAAB00_00000000.
    expect([...img]).toEqual([0, 0, 0, 0, 0, 0xab, 0xaa, 0x2a, 0, 0]);
    expect(s.fpu.statusWord & 0x30).toBe(0x30); // UE and PE
  });

  it('changes sign and magnitude without flags', () => {
    const s = setup();
    fldDouble(s, -3);
    exec(s.fpu, s.host, 0xd9, 0xe1); // FABS
    exec(s.fpu, s.host, 0xd9, 0xe0); // FCHS
    expect(fstpDouble(s)).toBe(-3);
    expect(s.fpu.statusWord & 0x3f).toBe(0);
  });
});

describe('exceptions', () => {
  it('gives ∞ for a masked zero divide and keeps ST0 for an unmasked one', () => {
    const s = setup();
    fldDouble(s, 0);
    fldDouble(s, 1);
    exec(s.fpu, s.host, 0xd8, 0xf1);
    expect(s.fpu.getRegister(0)).toBe(Number.POSITIVE_INFINITY);
    expect(s.fpu.statusWord & (ZE | ES)).toBe(ZE);
    const t = setup();
    fldcw(t, 0x037b);
    fldDouble(t, 0);
    fldDouble(t, 1);
    exec(t.fpu, t.host, 0xd8, 0xf1);
    expect(t.fpu.getRegister(0)).toBe(1);
    expect(t.fpu.statusWord & (ZE | ES | B)).toBe(ZE | ES | B);
    expect(t.fpu.exceptionPending).toBe(true);
    expect(t.fpu.isWaiting(0xd8, 0xf1)).toBe(true);
    exec(t.fpu, t.host, 0xdb, 0xe2); // FNCLEX
    expect(t.fpu.exceptionPending).toBe(false);
    expect(t.fpu.statusWord & 0xff).toBe(0);
  });

  it('stores the result of an unmasked precision exception and makes it pending', () => {
    const s = setup();
    fldcw(s, 0x035f);
    fldDouble(s, 3);
    fldDouble(s, 1);
    exec(s.fpu, s.host, 0xd8, 0xf1);
    expect(s.fpu.getRegister(0)).toBeCloseTo(1 / 3, 15);
    expect(s.fpu.exceptionPending).toBe(true);
  });

  it('sets ES when FLDCW unmasks an exception that is already flagged', () => {
    const s = setup();
    fldDouble(s, 3);
    fldDouble(s, 1);
    exec(s.fpu, s.host, 0xd8, 0xf1); // PE, masked
    expect(s.fpu.exceptionPending).toBe(false);
    fldcw(s, 0x035f);
    expect(s.fpu.exceptionPending).toBe(true);
  });

  it('reports a stack overflow (C1 = 1) and pushes the indefinite when masked', () => {
    const s = setup();
    for (let k = 0; k < 8; k++) exec(s.fpu, s.host, 0xd9, 0xe8);
    exec(s.fpu, s.host, 0xd9, 0xee); // FLDZ onto a full stack
    expect(s.fpu.statusWord & (IE | SF | C1)).toBe(IE | SF | C1);
    expect(hex80(s)).toBe('ffffc000000000000000');
    const t = setup();
    fldcw(t, 0x037e);
    for (let k = 0; k < 8; k++) exec(t.fpu, t.host, 0xd9, 0xe8);
    exec(t.fpu, t.host, 0xd9, 0xee);
    expect(t.fpu.getRegister(0)).toBe(1);
    expect(t.fpu.top).toBe(0);
    expect(t.fpu.exceptionPending).toBe(true);
  });

  it('reports a stack underflow (C1 = 0) for an empty operand', () => {
    const s = setup();
    fldDouble(s, 1);
    exec(s.fpu, s.host, 0xd8, 0xc1); // FADD ST0, ST1 with ST1 empty
    expect(s.fpu.statusWord & (IE | SF | C1)).toBe(IE | SF);
    expect(Number.isNaN(s.fpu.getRegister(0))).toBe(true);
  });

  it('returns the invalid-operation indefinite for ∞ − ∞ and √−1', () => {
    const s = setup();
    fldDouble(s, -1);
    exec(s.fpu, s.host, 0xd9, 0xfa);
    expect(hex80(s)).toBe('ffffc000000000000000');
    expect(s.fpu.statusWord & IE).toBe(IE);
  });
});

describe('comparisons and conditional moves', () => {
  function cmp(a: number, b: number, modrm: number, opcode = 0xd8) {
    const s = setup();
    fldDouble(s, b);
    fldDouble(s, a);
    exec(s.fpu, s.host, opcode, modrm);
    return s;
  }

  it('sets C3 C2 C0 for FCOM/FUCOM and pops for FCOMP/FCOMPP/FUCOMPP', () => {
    const cc = (s: ReturnType<typeof setup>) => s.fpu.statusWord & (C0 | C2 | C3);
    expect(cc(cmp(1, 2, 0xd1))).toBe(C0);
    expect(cc(cmp(2, 1, 0xd1))).toBe(0);
    expect(cc(cmp(2, 2, 0xd1))).toBe(C3);
    const nan = cmp(Number.NaN, 1, 0xd1);
    expect(cc(nan)).toBe(C0 | C2 | C3);
    expect(nan.fpu.statusWord & IE).toBe(IE); // FCOM: any NaN is invalid
    const unordered = cmp(Number.NaN, 1, 0xe1, 0xdd); // FUCOM: a QNaN is not
    expect(cc(unordered)).toBe(C0 | C2 | C3);
    expect(unordered.fpu.statusWord & IE).toBe(0);
    expect(cmp(1, 2, 0xd9).fpu.top).toBe(7); // FCOMP
    expect(cmp(1, 2, 0xd9, 0xde).fpu.top).toBe(0); // FCOMPP
    expect(cmp(1, 2, 0xe9, 0xda).fpu.top).toBe(0); // FUCOMPP
  });

  it('compares with zero (FTST) and with integers (FICOM)', () => {
    const s = setup();
    fldDouble(s, -0.5);
    exec(s.fpu, s.host, 0xd9, 0xe4);
    expect(s.fpu.statusWord & (C0 | C2 | C3)).toBe(C0);
    s.host.write16(M, 0xffff);
    exec(s.fpu, s.host, 0xde, m(2), M); // FICOM m16int -1
    expect(s.fpu.statusWord & (C0 | C2 | C3)).toBe(0);
  });

  it('sets ZF PF CF for FCOMI/FUCOMI and pops for the P forms', () => {
    const flags = (s: ReturnType<typeof setup>) => s.host.eflags & 0x45;
    expect(flags(cmp(1, 2, 0xf1, 0xdb))).toBe(1);
    expect(flags(cmp(3, 2, 0xf1, 0xdb))).toBe(0);
    expect(flags(cmp(2, 2, 0xe9, 0xdb))).toBe(0x40);
    const un = cmp(Number.NaN, 2, 0xe9, 0xdf); // FUCOMIP
    expect(flags(un)).toBe(0x45);
    expect(un.fpu.top).toBe(7);
    expect(un.fpu.statusWord & IE).toBe(0);
  });

  it('moves conditionally on CF, ZF and PF (FCMOVcc)', () => {
    const forms: [number, number, (cf: boolean, zf: boolean, pf: boolean) => boolean][] = [
      [0xda, 0xc1, (cf) => cf],
      [0xda, 0xc9, (_, zf) => zf],
      [0xda, 0xd1, (cf, zf) => cf || zf],
      [0xda, 0xd9, (_, __, pf) => pf],
      [0xdb, 0xc1, (cf) => !cf],
      [0xdb, 0xc9, (_, zf) => !zf],
      [0xdb, 0xd1, (cf, zf) => !(cf || zf)],
      [0xdb, 0xd9, (_, __, pf) => !pf],
    ];
    for (const [op, modrm, cond] of forms)
      for (const f of [0, 1, 4, 0x40, 0x45]) {
        const s = setup();
        fldDouble(s, 2);
        fldDouble(s, 1);
        s.host.eflags = 0x202 | f;
        exec(s.fpu, s.host, op, modrm);
        const want = cond((f & 1) !== 0, (f & 0x40) !== 0, (f & 4) !== 0) ? 2 : 1;
        expect(s.fpu.getRegister(0)).toBe(want);
      }
  });

  it('classifies ST0 with FXAM (C3 C2 C0, sign in C1)', () => {
    const s = setup();
    const cls = () => s.fpu.statusWord & (C0 | C1 | C2 | C3);
    exec(s.fpu, s.host, 0xd9, 0xe5);
    expect(cls() & (C0 | C2 | C3)).toBe(C3 | C0); // empty
    const cases: [number, number][] = [
      [1, C2],
      [-1, C2 | C1],
      [0, C3],
      [Number.NEGATIVE_INFINITY, C2 | C0 | C1],
      [Number.NaN, C0],
    ];
    for (const [v, want] of cases) {
      fldDouble(s, v);
      exec(s.fpu, s.host, 0xd9, 0xe5);
      expect(cls()).toBe(want);
    }
    s.host.ram.set([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], M); // extended denormal
    exec(s.fpu, s.host, 0xdb, m(5), M);
    exec(s.fpu, s.host, 0xd9, 0xe5);
    expect(cls()).toBe(C3 | C2);
    s.host.ram.set([0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0x40], M); // unnormal: unsupported
    exec(s.fpu, s.host, 0xdd, 0xc0); // FFREE ST0
    exec(s.fpu, s.host, 0xd9, 0xf7); // FINCSTP: ST7 is now the free register
    exec(s.fpu, s.host, 0xdb, m(5), M);
    exec(s.fpu, s.host, 0xd9, 0xe5);
    expect(cls()).toBe(0);
  });
});

describe('stack manipulation', () => {
  it('exchanges, copies, frees and rotates', () => {
    const s = setup();
    fldDouble(s, 2);
    fldDouble(s, 1);
    exec(s.fpu, s.host, 0xd9, 0xc9); // FXCH ST1
    expect([s.fpu.getRegister(0), s.fpu.getRegister(1)]).toEqual([2, 1]);
    exec(s.fpu, s.host, 0xd9, 0xc1); // FLD ST1
    expect(s.fpu.getRegister(0)).toBe(1);
    exec(s.fpu, s.host, 0xdd, 0xd2); // FST ST2
    exec(s.fpu, s.host, 0xdd, 0xc1); // FFREE ST1
    expect(s.fpu.isEmpty(1)).toBe(true);
    exec(s.fpu, s.host, 0xd9, 0xf6); // FDECSTP
    expect(s.fpu.top).toBe(4);
    exec(s.fpu, s.host, 0xd9, 0xf7); // FINCSTP
    exec(s.fpu, s.host, 0xd9, 0xd0); // FNOP
    expect(s.fpu.top).toBe(5);
    exec(s.fpu, s.host, 0xdd, 0xd9); // FSTP ST1
    expect(s.fpu.getRegister(0)).toBe(1);
  });

  it('stores the status word to memory and AX', () => {
    const s = setup();
    fldDouble(s, 1);
    exec(s.fpu, s.host, 0xdf, 0xe0);
    expect(s.host.ax).toBe(0x3800);
    exec(s.fpu, s.host, 0xdd, m(7), 0x300);
    expect(s.host.read16(0x300)).toBe(0x3800);
  });
});

describe('decoding and the seam with the core', () => {
  it('rejects invalid encodings with #UD and leaves the state alone (FISTTP included)', () => {
    const s = setup();
    fldDouble(s, 1);
    const before = [s.fpu.statusWord, s.fpu.tagWord, s.fpu.lastOpcode];
    const invalid: [number, number][] = [
      [0xdf, m(1)],
      [0xdb, m(1)],
      [0xdd, m(1)],
      [0xd9, m(1)],
      [0xdb, m(4)],
      [0xdb, m(6)],
      [0xdd, m(5)],
      [0xd9, 0xd1],
      [0xd9, 0xe2],
      [0xd9, 0xef],
      [0xda, 0xe0],
      [0xdb, 0xe5],
      [0xdb, 0xf8],
      [0xdd, 0xf0],
      [0xde, 0xd8],
      [0xdf, 0xe1],
      [0xdf, 0xf8],
    ];
    for (const [op, modrm] of invalid) expect(exec(s.fpu, s.host, op, modrm), `${op} ${modrm}`).toBe(X87_UD);
    expect([s.fpu.statusWord, s.fpu.tagWord, s.fpu.lastOpcode]).toEqual(before);
    expect(exec(s.fpu, s.host, 0xd7, 0)).toBe(X87_UD);
  });

  it('knows the no-wait forms and the control instructions', () => {
    const { fpu } = setup();
    const noWait: [number, number][] = [
      [0xdb, 0xe3],
      [0xdb, 0xe2],
      [0xdf, 0xe0],
      [0xd9, m(7)],
      [0xd9, m(6)],
      [0xdd, m(7)],
      [0xdd, m(6)],
    ];
    for (const [op, modrm] of noWait) expect(fpu.isWaiting(op, modrm)).toBe(false);
    for (const [op, modrm] of [
      [0xd8, 0xc1],
      [0xd9, 0xd0],
      [0xd9, m(5)],
      [0xdd, m(4)],
      [0xd9, m(4)],
    ])
      expect(fpu.isWaiting(op, modrm)).toBe(true);
    expect(fpu.updatesPointers(0xd9, m(5))).toBe(false); // FLDCW
    expect(fpu.updatesPointers(0xdd, m(4))).toBe(false); // FRSTOR
    expect(fpu.updatesPointers(0xdd, m(0))).toBe(true); // FLD m64
    expect(fpu.updatesPointers(0xd8, 0xc1)).toBe(true);
  });

  it('records the last opcode for non-control instructions only', () => {
    const s = setup();
    fldDouble(s, 1);
    expect(s.fpu.lastOpcode).toBe(0x505); // DD /0 with ModRM 05
    exec(s.fpu, s.host, 0xd9, m(7), 0x300); // FNSTCW: control
    expect(s.fpu.lastOpcode).toBe(0x505);
    exec(s.fpu, s.host, 0xd9, 0xe0);
    expect(s.fpu.lastOpcode).toBe(0x1e0);
  });

  it('leaves the state unchanged when a memory access faults', () => {
    const s = setup();
    fldDouble(s, 1);
    fldDouble(s, 2);
    const snapshot = () => [s.fpu.statusWord, s.fpu.tagWord, s.fpu.getRegister(0), s.fpu.lastOpcode];
    const before = snapshot();
    s.host.faultFrom = 0x1000;
    expect(() => exec(s.fpu, s.host, 0xdd, m(0), 0x0ffc)).toThrow(FakeFault); // FLD m64 across the edge
    expect(() => exec(s.fpu, s.host, 0xdc, m(0), 0x0ffc)).toThrow(FakeFault); // FADD m64
    expect(() => exec(s.fpu, s.host, 0xdd, m(3), 0x0ffc)).toThrow(FakeFault); // FSTP m64: no pop
    expect(() => exec(s.fpu, s.host, 0xdb, m(5), 0x0ff8)).toThrow(FakeFault); // FLD m80
    expect(() => exec(s.fpu, s.host, 0xdd, m(4), 0x0f95)).toThrow(FakeFault); // FRSTOR, last byte faults
    expect(() => exec(s.fpu, s.host, 0xd9, m(4), 0x0fe8)).toThrow(FakeFault); // FLDENV
    expect(() => exec(s.fpu, s.host, 0xd9, m(6), 0x0fe8)).toThrow(FakeFault); // FNSTENV: masks kept
    expect(() => exec(s.fpu, s.host, 0xdd, m(6), 0x0fa0)).toThrow(FakeFault); // FNSAVE: no re-init
    expect(snapshot()).toEqual(before);
    expect(s.fpu.controlWord).toBe(0x037f);
  });

  it('raises nothing for a store from an empty register whose write faults', () => {
    const s = setup();
    s.host.faultFrom = 0x1000;
    const stores: [number, number][] = [
      [0xdb, m(7)], // FSTP m80
      [0xdd, m(2)], // FST m64
      [0xd9, m(3)], // FSTP m32
      [0xdf, m(7)], // FISTP m64
      [0xdf, m(6)], // FBSTP
    ];
    for (const [op, modrm] of stores) {
      expect(() => exec(s.fpu, s.host, op, modrm, 0x0ffe)).toThrow(FakeFault);
      expect([s.fpu.statusWord, s.fpu.tagWord]).toEqual([0, 0xffff]);
    }
    exec(s.fpu, s.host, 0xdb, m(7), 0x0f00); // now it succeeds: the indefinite, IE and SF
    expect(s.fpu.statusWord & (IE | SF)).toBe(IE | SF);
  });
});

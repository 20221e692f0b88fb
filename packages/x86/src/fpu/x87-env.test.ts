import { describe, expect, it } from 'vitest';
import { exec, FakeHost, freshFpu } from './test-host.js';

const m = (reg: number) => (reg << 3) | 5;
const AREA = 0x400;

function withState() {
  const fpu = freshFpu();
  const host = new FakeHost();
  // ST0 = 1.5 (valid), ST1 = 0 (zero), ST2 = +∞ (special); CW with RC = up and PE unmasked.
  host.putDouble(0x100, Number.POSITIVE_INFINITY);
  exec(fpu, host, 0xdd, m(0), 0x100);
  exec(fpu, host, 0xd9, 0xee);
  host.putDouble(0x100, 1.5);
  exec(fpu, host, 0xdd, m(0), 0x100);
  fpu.controlWord = 0x0b5f;
  fpu.lastIp = 0x12345678;
  fpu.lastCs = 0x0073;
  fpu.lastDp = 0x9abcdef0;
  fpu.lastDs = 0x007b;
  return { fpu, host };
}

describe('FNSTENV / FLDENV', () => {
  it('stores the 28-byte protected-mode image with the exact field offsets', () => {
    const { fpu, host } = withState();
    host.ram.fill(0xaa, AREA, AREA + 40);
    exec(fpu, host, 0xd9, m(6), AREA);
    const b = host.ram;
    expect(host.read32(AREA)).toBe(0xffff0b5f); // CW, upper half 0xFFFF
    expect(host.read32(AREA + 4)).toBe(0xffff2800); // SW with TOP = 5
    // Tags by physical register: 5 valid (00), 6 zero (01), 7 special (10), the rest empty (11).
    expect(host.read32(AREA + 8)).toBe(0xffff93ff);
    expect(host.read32(AREA + 12)).toBe(0x12345678);
    expect(host.read32(AREA + 16)).toBe(((0x505 << 16) | 0x73) >>> 0); // CS, opcode of FLD m64 (DD 05)
    expect(host.read32(AREA + 20)).toBe(0x9abcdef0);
    expect(host.read32(AREA + 24)).toBe(0xffff007b);
    expect(b[AREA + 28]).toBe(0xaa); // nothing beyond 28 bytes
    // FNSTENV then masks every exception.
    expect(fpu.controlWord).toBe(0x0b7f);
  });

  it('stores the 14-byte image for a 16-bit operand size', () => {
    const { fpu, host } = withState();
    host.ram.fill(0xaa, AREA, AREA + 20);
    exec(fpu, host, 0xd9, m(6), AREA, false);
    const words = [0, 2, 4, 6, 8, 10, 12].map((o) => host.read16(AREA + o));
    expect(words).toEqual([0x0b5f, 0x2800, 0x93ff, 0x5678, 0x0073, 0xdef0, 0x007b]);
    expect(host.ram[AREA + 14]).toBe(0xaa);
  });

  it('loads an environment: only empty/non-empty is taken from the tag word, ES follows the masks', () => {
    const fpu = freshFpu();
    const host = new FakeHost();
    const env = [
      0x037e, 0xffff, 0x2801, 0xffff, 0x0fff, 0xffff, 0x1111, 0x2222, 0x0033, 0x0155, 0x4444, 0x5555,
    ];
    env.forEach((w, k) => {
      host.write16(AREA + 2 * k, w);
    });
    host.write32(AREA + 24, 0xffff003b);
    exec(fpu, host, 0xd9, m(4), AREA);
    expect(fpu.controlWord).toBe(0x037e);
    expect(fpu.top).toBe(5);
    expect(fpu.statusWord).toBe(0xa881); // IE flagged and unmasked: ES and B
    expect(fpu.exceptionPending).toBe(true);
    expect([fpu.isEmpty(0), fpu.isEmpty(1), fpu.isEmpty(2), fpu.isEmpty(3)]).toEqual([
      true,
      false,
      false,
      true,
    ]);
    expect([fpu.lastIp, fpu.lastCs, fpu.lastOpcode, fpu.lastDp, fpu.lastDs]).toEqual([
      0x22221111, 0x33, 0x155, 0x55554444, 0x3b,
    ]);
    // The full tag word is recomputed from the contents on the next store.
    expect(fpu.tagWord & 0xf000).not.toBe(0xf000);
  });

  it('loads the 16-bit environment', () => {
    const fpu = freshFpu();
    const host = new FakeHost();
    [0x027f, 0x3000, 0x3fff, 0x1234, 0x0073, 0x5678, 0x007b].forEach((w, k) => {
      host.write16(AREA + 2 * k, w);
    });
    exec(fpu, host, 0xd9, m(4), AREA, false);
    expect([fpu.controlWord, fpu.top, fpu.isEmpty(1), fpu.isEmpty(0)]).toEqual([0x027f, 6, false, true]);
    expect([fpu.lastIp, fpu.lastDp]).toEqual([0x1234, 0x5678]);
  });
});

describe('FNSAVE / FRSTOR', () => {
  it('saves the environment and ST(0)…ST(7) in stack order (108 bytes), then re-initialises', () => {
    const { fpu, host } = withState();
    host.ram.fill(0xaa, AREA, AREA + 120);
    exec(fpu, host, 0xdd, m(6), AREA);
    expect(host.read32(AREA)).toBe(0xffff0b5f);
    const reg = (i: number) => [...host.ram.subarray(AREA + 28 + 10 * i, AREA + 38 + 10 * i)];
    expect(reg(0)).toEqual([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x3f]); // 1.5
    expect(reg(1)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(reg(2)).toEqual([0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f]); // +∞
    expect(host.ram[AREA + 108]).toBe(0xaa);
    expect([fpu.controlWord, fpu.statusWord, fpu.tagWord]).toEqual([0x037f, 0, 0xffff]);
  });

  it('uses 94 bytes for a 16-bit operand size', () => {
    const { fpu, host } = withState();
    host.ram.fill(0xaa, AREA, AREA + 100);
    exec(fpu, host, 0xdd, m(6), AREA, false);
    expect(host.read16(AREA + 2)).toBe(0x2800);
    expect([...host.ram.subarray(AREA + 14, AREA + 24)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x3f]);
    expect(host.ram[AREA + 94]).toBe(0xaa);
  });

  it('restores a saved image so that saving again gives the same bytes', () => {
    for (const op32 of [true, false]) {
      const { fpu, host } = withState();
      exec(fpu, host, 0xdd, m(6), AREA, op32);
      const size = op32 ? 108 : 94;
      const first = host.ram.slice(AREA, AREA + size);
      exec(fpu, host, 0xdd, m(4), AREA, op32);
      expect(fpu.getRegister(0)).toBe(1.5);
      expect(fpu.getRegister(2)).toBe(Number.POSITIVE_INFINITY);
      expect(fpu.top).toBe(5);
      exec(fpu, host, 0xdd, m(6), 0x800, op32);
      expect(host.ram.slice(0x800, 0x800 + size)).toEqual(first);
    }
  });

  it('tags NaNs and denormals as special and computes tags after FRSTOR from the contents', () => {
    const fpu = freshFpu();
    const host = new FakeHost();
    host.write16(AREA, 0x037f);
    host.write16(AREA + 4, 0); // TOP 0
    host.write16(AREA + 8, 0x0000); // claims all valid
    host.ram.set([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], AREA + 28); // ST0: denormal
    host.ram.set([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x7f], AREA + 38); // ST1: QNaN
    host.ram.set([0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f], AREA + 48); // ST2: 1.0
    exec(fpu, host, 0xdd, m(4), AREA);
    // ST3..ST7 are zero images: tag 01.
    expect(fpu.tagWord).toBe(0b01_01_01_01_01_00_10_10);
  });
});

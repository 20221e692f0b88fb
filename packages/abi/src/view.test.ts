import { describe, expect, it, vi } from 'vitest';
import { GuestMemory } from './memory.js';
import { GuestStructView } from './view.js';

// A made-up 12-byte struct: u8 @0, u16 @2, u32 @4, u64 @8 (unsupported by the generic accessors).
const LAYOUT = {
  a: { offset: 0, size: 1 },
  b: { offset: 2, size: 2 },
  c: { offset: 4, size: 4 },
  d: { offset: 8, size: 8 },
};

class TestView extends GuestStructView {
  get size(): number {
    return 16;
  }
}

describe('GuestStructView', () => {
  it('keeps its gpa unsigned and re-aims with at()', () => {
    const mem = new GuestMemory(new ArrayBuffer(4096));
    const view = new TestView(mem, -16);
    expect(view.gpa).toBe(0xffff_fff0);
    expect(view.at(0x100)).toBe(view);
    expect(view.gpa).toBe(0x100);
    expect(view.memory).toBe(mem);
    expect(new TestView(mem).gpa).toBe(0);
  });

  it('reads and writes 1-, 2- and 4-byte fields by layout entry', () => {
    const mem = new GuestMemory(new ArrayBuffer(4096));
    const view = new TestView(mem, 0x21);
    expect(view.writeField(LAYOUT.a, 0x1ab)).toBe(true);
    expect(view.writeField(LAYOUT.b, 0x1234)).toBe(true);
    expect(view.writeField(LAYOUT.c, 0xfedc_ba98)).toBe(true);
    expect([mem.read8(0x21), mem.read16(0x23), mem.read32(0x25)]).toEqual([0xab, 0x1234, 0xfedc_ba98]);
    expect([view.readField(LAYOUT.a), view.readField(LAYOUT.b), view.readField(LAYOUT.c)]).toEqual([
      0xab, 0x1234, 0xfedc_ba98,
    ]);
    expect(() => view.readField(LAYOUT.d)).toThrow(RangeError);
    expect(() => view.writeField(LAYOUT.d, 0)).toThrow(RangeError);
  });

  it('fits() checks the whole struct without calling the fault hook', () => {
    const onFault = vi.fn();
    const mem = new GuestMemory(new ArrayBuffer(4096), { onFault });
    expect(new TestView(mem, 4096 - 16).fits()).toBe(true);
    expect(new TestView(mem, 4096 - 15).fits()).toBe(false);
    expect(new TestView(mem, 0xffff_fff8).fits()).toBe(false);
    expect(onFault).not.toHaveBeenCalled();
  });

  it('field access past the end faults instead of throwing', () => {
    const onFault = vi.fn();
    const mem = new GuestMemory(new ArrayBuffer(4096), { onFault });
    const view = new TestView(mem, 4094);
    expect(view.readField(LAYOUT.c)).toBe(0);
    expect(view.writeField(LAYOUT.b, 1)).toBe(false);
    expect(onFault.mock.calls).toEqual([
      [4098, 4],
      [4096, 2],
    ]);
  });
});

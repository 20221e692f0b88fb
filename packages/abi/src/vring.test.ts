import { describe, expect, it, vi } from 'vitest';
import { roundUp } from './layout.js';
import { GuestMemory } from './memory.js';
import * as r from './vring.js';

describe('§9.4 vring layout', () => {
  it('pins descriptors: u64 addr, u32 len, u16 flags, u16 next (16 bytes)', () => {
    expect(r.VRING_DESC_SIZE).toBe(16);
    expect(r.VRING_DESC_LAYOUT).toEqual({
      addr: { offset: 0, size: 8 },
      len: { offset: 8, size: 4 },
      flags: { offset: 12, size: 2 },
      next: { offset: 14, size: 2 },
    });
    expect(r.VRING_DESC_F_NEXT).toBe(1);
    expect(r.VRING_DESC_F_WRITE).toBe(2);
    expect(r.VRING_DESC_F_INDIRECT).toBe(4);
  });

  it('pins the avail and used rings', () => {
    expect(r.VRING_AVAIL_LAYOUT).toEqual({
      flags: { offset: 0, size: 2 },
      idx: { offset: 2, size: 2 },
      ring: { offset: 4, size: 2 },
    });
    expect(r.VRING_AVAIL_F_NO_INTERRUPT).toBe(1);
    expect(r.VRING_USED_LAYOUT).toEqual({
      flags: { offset: 0, size: 2 },
      idx: { offset: 2, size: 2 },
      ring: { offset: 4, size: 8 },
    });
    expect(r.VRING_USED_ELEM_LAYOUT).toEqual({ id: { offset: 0, size: 4 }, len: { offset: 4, size: 4 } });
    expect(r.VRING_USED_ELEM_SIZE).toBe(8);
    expect(r.VRING_USED_F_NO_NOTIFY).toBe(1);
  });

  it('num 256: used ring at P+8192, 10246 bytes, 3 pages (the spec example)', () => {
    expect(r.vringAvailOffset(256)).toBe(4096);
    expect(r.vringUsedEventOffset(256)).toBe(4096 + 4 + 512);
    expect(r.vringUsedOffset(256)).toBe(8192);
    expect(r.vringAvailEventOffset(256)).toBe(8192 + 4 + 8 * 256);
    expect(r.vringSize(256)).toBe(10246);
    expect(r.vringPages(256)).toBe(3);
  });

  it('follows the formulas for other sizes', () => {
    // [num, avail offset, used offset, size, pages], worked out by hand from the §9.4 formulas.
    const table: [number, number, number, number, number][] = [
      [1, 16, 4096, 4096 + 6 + 8, 2],
      [2, 32, 4096, 4096 + 6 + 16, 2],
      [16, 256, 4096, 4096 + 6 + 128, 2],
      [64, 1024, 4096, 4096 + 6 + 512, 2],
      [128, 2048, 4096, 4096 + 6 + 1024, 2],
      [512, 8192, 12288, 12288 + 6 + 4096, 5],
      [1024, 16384, 20480, 20480 + 6 + 8192, 8],
      [32768, 524288, 593920, 593920 + 6 + 262144, 210],
    ];
    for (const [num, avail, used, size, pages] of table) {
      expect([
        num,
        r.vringAvailOffset(num),
        r.vringUsedOffset(num),
        r.vringSize(num),
        r.vringPages(num),
      ]).toEqual([num, avail, used, size, pages]);
    }
  });

  it('roundUp rounds to a multiple of a power of two', () => {
    expect([roundUp(0, 4096), roundUp(1, 4096), roundUp(4096, 4096), roundUp(4097, 4096)]).toEqual([
      0, 4096, 4096, 8192,
    ]);
    expect(roundUp(2 ** 40 + 1, 4096)).toBe(2 ** 40 + 4096);
  });

  it('rounds the used ring up to the given alignment', () => {
    // 16·4 + 2·(3+4) = 78 bytes of descriptors and avail ring.
    expect(r.vringUsedOffset(4, 4096)).toBe(4096);
    expect(r.vringUsedOffset(4, 64)).toBe(128);
    expect(r.vringUsedOffset(4, 2)).toBe(78);
    expect(r.vringSize(4, 2)).toBe(78 + 6 + 32);
  });

  it('implements the EVENT_IDX test with u16 wrap-around', () => {
    // Moving 10 → 12 crosses an event at 10 and 11, not at 12 or 9.
    expect(r.vringNeedEvent(10, 12, 10)).toBe(true);
    expect(r.vringNeedEvent(11, 12, 10)).toBe(true);
    expect(r.vringNeedEvent(12, 12, 10)).toBe(false);
    expect(r.vringNeedEvent(9, 12, 10)).toBe(false);
    // Across the 16-bit wrap: 0xFFFE → 0x0001 crosses 0xFFFF and 0x0000.
    expect(r.vringNeedEvent(0xffff, 0x0001, 0xfffe)).toBe(true);
    expect(r.vringNeedEvent(0x0000, 0x0001, 0xfffe)).toBe(true);
    expect(r.vringNeedEvent(0x0001, 0x0001, 0xfffe)).toBe(false);
    // Nothing moved: never.
    expect(r.vringNeedEvent(5, 5, 5)).toBe(false);
  });
});

describe('VringView', () => {
  const P = 0x3000;
  function setup(num = 256, onFault?: (a: number, l: number) => void): [GuestMemory, r.VringView] {
    const mem = new GuestMemory(new ArrayBuffer(8 * 4096), { onFault });
    return [mem, new r.VringView(mem, P, num)];
  }

  it('reads descriptors the guest wrote at P + 16·i', () => {
    const [mem, ring] = setup();
    mem.write64(P + 16 * 7, 0x0012_3456n);
    mem.write32(P + 16 * 7 + 8, 1518);
    mem.write16(P + 16 * 7 + 12, r.VRING_DESC_F_NEXT | r.VRING_DESC_F_WRITE);
    mem.write16(P + 16 * 7 + 14, 8);
    expect([ring.descAddr(7), ring.descLen(7), ring.descFlags(7), ring.descNext(7)]).toEqual([
      0x12_3456, 1518, 3, 8,
    ]);
  });

  it('gives a descriptor address above 4 GiB as its exact value, which memory then rejects', () => {
    const onFault = vi.fn();
    const [mem, ring] = setup(256, onFault);
    mem.write64(P, 0x1_0000_0010n);
    const addr = ring.descAddr(0);
    expect(addr).toBe(0x1_0000_0010);
    expect(mem.read8(addr)).toBe(0);
    expect(onFault).toHaveBeenCalledWith(0x1_0000_0010, 1);
  });

  it('round-trips setDesc, including a 64-bit address', () => {
    const [mem, ring] = setup();
    expect(ring.setDesc(3, 0x2_0000_1000, 16, r.VRING_DESC_F_INDIRECT, 0)).toBe(true);
    expect(mem.read64(P + 48)).toBe(0x2_0000_1000n);
    expect(ring.descAddr(3)).toBe(0x2_0000_1000);
    expect(ring.descFlags(3)).toBe(4);
  });

  it('places the avail ring at P + 16·num and wraps free-running indices', () => {
    const [mem, ring] = setup(256);
    const avail = P + 4096;
    expect(ring.availGpa).toBe(avail);
    ring.setAvailFlags(r.VRING_AVAIL_F_NO_INTERRUPT);
    ring.setAvailIdx(0xffff);
    ring.setAvailRing(0xffff, 42); // slot 0xFFFF % 256 = 255
    ring.setUsedEvent(77);
    expect(mem.read16(avail)).toBe(1);
    expect(mem.read16(avail + 2)).toBe(0xffff);
    expect(mem.read16(avail + 4 + 2 * 255)).toBe(42);
    expect(mem.read16(avail + 4 + 2 * 256)).toBe(77);
    expect([ring.availFlags(), ring.availIdx(), ring.availRing(255), ring.usedEvent()]).toEqual([
      1, 0xffff, 42, 77,
    ]);
  });

  it('places the used ring at the next 4096 boundary and wraps free-running indices', () => {
    const [mem, ring] = setup(256);
    const used = P + 8192;
    expect(ring.usedGpa).toBe(used);
    ring.setUsedFlags(r.VRING_USED_F_NO_NOTIFY);
    ring.setUsedIdx(258);
    ring.setUsed(258, 17, 4096); // slot 2
    ring.setAvailEvent(99);
    expect(mem.read16(used)).toBe(1);
    expect(mem.read16(used + 2)).toBe(258);
    expect(mem.read32(used + 4 + 8 * 2)).toBe(17);
    expect(mem.read32(used + 4 + 8 * 2 + 4)).toBe(4096);
    expect(mem.read16(used + 4 + 8 * 256)).toBe(99);
    expect([ring.usedFlags(), ring.usedIdx(), ring.usedId(2), ring.usedLen(258), ring.availEvent()]).toEqual([
      1, 258, 17, 4096, 99,
    ]);
    expect(ring.size).toBe(10246);
    expect(ring.fits()).toBe(true);
  });

  it('works for small rings too', () => {
    const [mem, ring] = setup(4);
    ring.setUsed(5, 1, 2);
    expect(mem.read32(P + 4096 + 4 + 8)).toBe(1);
    ring.setAvailRing(6, 3);
    expect(mem.read16(P + 64 + 4 + 4)).toBe(3);
  });

  it('refuses a ring size no virtqueue can have', () => {
    const mem = new GuestMemory(new ArrayBuffer(4096));
    expect(() => new r.VringView(mem, 0, 0)).toThrow(RangeError);
    expect(() => new r.VringView(mem, 0, 0x10000)).toThrow(RangeError);
    expect(() => new r.VringView(mem, 0, 2.5)).toThrow(RangeError);
  });

  it('a ring that does not fit faults instead of throwing', () => {
    const onFault = vi.fn();
    const mem = new GuestMemory(new ArrayBuffer(4 * 4096), { onFault });
    const ring = new r.VringView(mem, 2 * 4096, 256);
    expect(ring.fits()).toBe(false);
    expect(ring.usedIdx()).toBe(0);
    expect(ring.setUsed(0, 1, 1)).toBe(false);
    expect(onFault).toHaveBeenCalled();
  });
});

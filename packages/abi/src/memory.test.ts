import { describe, expect, it, vi } from 'vitest';
import { CODE_CACHED, GENERATION_STEP, markCodeCached, PAGE_SIZE } from './frame.js';
import { GuestMemory } from './memory.js';

const MiB = 1 << 20;

function faults(): [ReturnType<typeof vi.fn>, (addr: number, len: number) => void] {
  const hook = vi.fn();
  return [hook, (addr, len) => hook(addr, len)];
}

describe('GuestMemory limits', () => {
  it('defaults pfn_limit to every whole page past base', () => {
    const mem = new GuestMemory(new ArrayBuffer(3 * PAGE_SIZE + 100));
    expect(mem.pfnLimit).toBe(3);
    expect(mem.limit).toBe(3 * PAGE_SIZE);
  });

  it('bounds at min(pfn_limit·4096, buffer end): a pfn limit beyond the buffer clamps', () => {
    const mem = new GuestMemory(new ArrayBuffer(2 * PAGE_SIZE + 10), { pfnLimit: 100 });
    expect(mem.pfnLimit).toBe(100);
    expect(mem.limit).toBe(2 * PAGE_SIZE + 10);
    expect(mem.addressOk(2 * PAGE_SIZE + 9, 1)).toBe(true);
    expect(mem.addressOk(2 * PAGE_SIZE + 10, 1)).toBe(false);
  });

  it('bounds at pfn_limit·4096 when that is inside the buffer', () => {
    const mem = new GuestMemory(new ArrayBuffer(4 * PAGE_SIZE), { pfnLimit: 2 });
    expect(mem.limit).toBe(2 * PAGE_SIZE);
    mem.setPfnLimit(3);
    expect(mem.limit).toBe(3 * PAGE_SIZE);
    expect(mem.addressOk(3 * PAGE_SIZE - 1, 1)).toBe(true);
    expect(mem.addressOk(3 * PAGE_SIZE, 1)).toBe(false);
  });

  it('accepts the last valid byte and a range ending exactly at the limit; rejects one past', () => {
    const limit = 4 * PAGE_SIZE;
    const mem = new GuestMemory(new ArrayBuffer(limit));
    expect(mem.addressOk(limit - 1, 1)).toBe(true); // last valid byte
    expect(mem.addressOk(limit, 1)).toBe(false); // first invalid byte
    expect(mem.addressOk(limit - 4, 4)).toBe(true); // ends exactly at the limit (the fixed form)
    expect(mem.addressOk(limit - 3, 4)).toBe(false); // one past
    expect(mem.addressOk(0, limit)).toBe(true);
    expect(mem.addressOk(0, limit + 1)).toBe(false);
    expect(mem.addressOk(limit, 0)).toBe(true); // an empty range at the limit ends at the limit
    expect(mem.addressOk(limit + 1, 0)).toBe(false);
  });

  it('rejects ranges that wrap around 2^32', () => {
    // A buffer as large as the address space is not needed: wrap must fail before the limit test
    // could accept the wrapped (small) end.
    const mem = new GuestMemory(new ArrayBuffer(PAGE_SIZE));
    expect(mem.addressOk(0xffff_ffff, 1)).toBe(false); // end = 2^32 exactly
    expect(mem.addressOk(0xffff_fffc, 8)).toBe(false); // end wraps to 4
    expect(mem.addressOk(0x10, 0xffff_fff8)).toBe(false); // end wraps to 8
    expect(mem.addressOk(1, 0xffff_ffff)).toBe(false); // end wraps to 0
    expect(mem.addressOk(0xffff_ffff, 0)).toBe(false);
  });

  it('treats signed 32-bit images as the same unsigned numbers', () => {
    const mem = new GuestMemory(new ArrayBuffer(PAGE_SIZE));
    expect(mem.addressOk(-1, 1)).toBe(false); // 0xFFFFFFFF
    expect(mem.addressOk(16, -1)).toBe(false); // len 0xFFFFFFFF
    const [hook, onFault] = faults();
    mem.onFault = onFault;
    mem.read32(-4);
    expect(hook).toHaveBeenCalledWith(0xffff_fffc, 4);
  });

  it('rejects numbers that are not 32-bit images instead of truncating them', () => {
    const mem = new GuestMemory(new ArrayBuffer(PAGE_SIZE));
    expect(mem.addressOk(2 ** 32 + 16, 4)).toBe(false); // would truncate to 16
    expect(mem.addressOk(16, 2 ** 32 + 4)).toBe(false); // would truncate to 4
    expect(mem.addressOk(2 ** 33, 0)).toBe(false);
    expect(mem.addressOk(-(2 ** 31) - 1, 1)).toBe(false);
    expect(mem.addressOk(1.5, 1)).toBe(false);
    expect(mem.addressOk(Number.NaN, 1)).toBe(false);
    const [hook, onFault] = faults();
    mem.onFault = onFault;
    expect(mem.read8(2 ** 32 + 1)).toBe(0);
    expect(hook).toHaveBeenCalledWith(2 ** 32 + 1, 1);
  });

  it('rejects a bad base at construction (a host bug)', () => {
    expect(() => new GuestMemory(new ArrayBuffer(PAGE_SIZE), { base: PAGE_SIZE + 1 })).toThrow(RangeError);
    expect(() => new GuestMemory(new ArrayBuffer(PAGE_SIZE), { base: -1 })).toThrow(RangeError);
    expect(() => new GuestMemory(new ArrayBuffer(PAGE_SIZE), { base: 0.5 })).toThrow(RangeError);
  });
});

describe('GuestMemory accessors', () => {
  it('read and write every width little-endian with unsigned results', () => {
    const mem = new GuestMemory(new ArrayBuffer(PAGE_SIZE));
    expect(mem.write8(0, 0x1ff)).toBe(true); // low 8 bits kept
    expect(mem.read8(0)).toBe(0xff);
    expect(mem.write16(2, 0xbeef)).toBe(true);
    expect([mem.read8(2), mem.read8(3)]).toEqual([0xef, 0xbe]);
    expect(mem.read16(2)).toBe(0xbeef);
    expect(mem.write32(4, -2)).toBe(true); // signed input stored as its unsigned image
    expect(mem.read32(4)).toBe(0xffff_fffe);
    expect(mem.write32(8, 0x1234_5678)).toBe(true);
    expect([...mem.bytes.subarray(8, 12)]).toEqual([0x78, 0x56, 0x34, 0x12]);
    expect(mem.write64(16, 0x0102_0304_0506_0708n)).toBe(true);
    expect([...mem.bytes.subarray(16, 24)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(mem.read64(16)).toBe(0x0102_0304_0506_0708n);
    expect(mem.write64(24, -1n)).toBe(true); // stored modulo 2^64
    expect(mem.read64(24)).toBe(0xffff_ffff_ffff_ffffn);
    expect(mem.read16(24)).toBe(0xffff);
  });

  it('handles unaligned and page-crossing accesses', () => {
    const mem = new GuestMemory(new ArrayBuffer(2 * PAGE_SIZE));
    expect(mem.write32(PAGE_SIZE - 2, 0xa1b2_c3d4)).toBe(true);
    expect(mem.read16(PAGE_SIZE - 2)).toBe(0xc3d4);
    expect(mem.read16(PAGE_SIZE)).toBe(0xa1b2);
    expect(mem.read32(PAGE_SIZE - 2)).toBe(0xa1b2_c3d4);
    expect(mem.write64(PAGE_SIZE - 3, 0x1122_3344_5566_7788n)).toBe(true);
    expect(mem.read64(PAGE_SIZE - 3)).toBe(0x1122_3344_5566_7788n);
  });

  it('never throws at the limit: reads give 0, writes are dropped, the hook hears (addr, len)', () => {
    const [hook, onFault] = faults();
    const mem = new GuestMemory(new ArrayBuffer(PAGE_SIZE), { onFault });
    mem.bytes.fill(0x5a);
    const end = PAGE_SIZE;
    expect(mem.read8(end)).toBe(0);
    expect(mem.read16(end - 1)).toBe(0);
    expect(mem.read32(end - 3)).toBe(0);
    expect(mem.read64(end - 7)).toBe(0n);
    expect(mem.write8(end, 1)).toBe(false);
    expect(mem.write16(end - 1, 1)).toBe(false);
    expect(mem.write32(end - 3, 1)).toBe(false);
    expect(mem.write64(end - 7, 1n)).toBe(false);
    expect(hook.mock.calls).toEqual([
      [end, 1],
      [end - 1, 2],
      [end - 3, 4],
      [end - 7, 8],
      [end, 1],
      [end - 1, 2],
      [end - 3, 4],
      [end - 7, 8],
    ]);
    // Nothing was written: the bytes just below the limit are untouched.
    expect(mem.bytes.subarray(end - 8).every((b) => b === 0x5a)).toBe(true);
    // The widest in-range accesses at the very end still work.
    expect(mem.read64(end - 8)).toBe(0x5a5a_5a5a_5a5a_5a5an);
    expect(mem.read32(end - 4)).toBe(0x5a5a_5a5a);
    expect(hook).toHaveBeenCalledTimes(8);
  });

  it('works without a fault hook', () => {
    const mem = new GuestMemory(new ArrayBuffer(PAGE_SIZE));
    expect(mem.read32(PAGE_SIZE)).toBe(0);
    expect(mem.write32(PAGE_SIZE, 1)).toBe(false);
    expect(mem.check(PAGE_SIZE, 1)).toBe(false);
    expect(mem.check(0, 1)).toBe(true);
  });

  it('puts gpa 0 at byte offset base', () => {
    const buffer = new ArrayBuffer(PAGE_SIZE * 3);
    const raw = new Uint8Array(buffer);
    const [hook, onFault] = faults();
    const mem = new GuestMemory(buffer, { base: 0x800, onFault });
    expect(mem.base).toBe(0x800);
    expect(mem.pfnLimit).toBe(2); // 3 pages − 0x800 bytes = 2.5 pages → 2 whole pages
    expect(mem.limit).toBe(2 * PAGE_SIZE);
    mem.write32(0, 0xcafe_babe);
    expect([...raw.subarray(0x800, 0x804)]).toEqual([0xbe, 0xba, 0xfe, 0xca]);
    raw[0x800 + 0x1234] = 0x77;
    expect(mem.read8(0x1234)).toBe(0x77);
    expect(mem.bytes.byteOffset).toBe(0x800);
    // The half page beyond pfn_limit is in the buffer but not the guest's.
    expect(mem.read8(2 * PAGE_SIZE)).toBe(0);
    expect(hook).toHaveBeenCalledWith(2 * PAGE_SIZE, 1);
    // Memory below base is never reachable.
    raw[0x7ff] = 0x99;
    expect(mem.read8(-1)).toBe(0);
  });
});

describe('GuestMemory bulk copies and views', () => {
  it('copyIn / copyOut move whole ranges', () => {
    const mem = new GuestMemory(new ArrayBuffer(2 * PAGE_SIZE));
    const src = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    expect(mem.copyIn(PAGE_SIZE - 100, src)).toBe(true);
    expect(mem.read8(PAGE_SIZE - 100 + 299)).toBe(299 & 0xff);
    const dst = new Uint8Array(300);
    expect(mem.copyOut(PAGE_SIZE - 100, dst)).toBe(true);
    expect(dst).toEqual(src);
  });

  it('copyIn writes nothing and copyOut zero-fills on a bad range', () => {
    const [hook, onFault] = faults();
    const mem = new GuestMemory(new ArrayBuffer(PAGE_SIZE), { onFault });
    mem.bytes.fill(7);
    expect(mem.copyIn(PAGE_SIZE - 2, new Uint8Array([1, 2, 3]))).toBe(false);
    expect([...mem.bytes.subarray(PAGE_SIZE - 2)]).toEqual([7, 7]);
    const dst = new Uint8Array([9, 9, 9]);
    expect(mem.copyOut(PAGE_SIZE - 2, dst)).toBe(false);
    expect([...dst]).toEqual([0, 0, 0]);
    expect(mem.copyOut(0xffff_ffff, new Uint8Array(2))).toBe(false);
    expect(hook.mock.calls).toEqual([
      [PAGE_SIZE - 2, 3],
      [PAGE_SIZE - 2, 3],
      [0xffff_ffff, 2],
    ]);
  });

  it('accepts empty copies anywhere up to the limit', () => {
    const mem = new GuestMemory(new ArrayBuffer(PAGE_SIZE));
    expect(mem.copyIn(PAGE_SIZE, new Uint8Array(0))).toBe(true);
    expect(mem.copyOut(PAGE_SIZE, new Uint8Array(0))).toBe(true);
  });

  it('view() aliases guest bytes without copying', () => {
    const [hook, onFault] = faults();
    const mem = new GuestMemory(new ArrayBuffer(PAGE_SIZE), { onFault });
    const v = mem.view(16, 8);
    expect(v).toBeDefined();
    expect(v?.length).toBe(8);
    v?.set([1, 2, 3, 4]);
    expect(mem.read32(16)).toBe(0x0403_0201);
    mem.write8(20, 0xee);
    expect(v?.[4]).toBe(0xee);
    expect(v?.buffer).toBe(mem.buffer);
    expect(mem.view(PAGE_SIZE - 4, 5)).toBeUndefined();
    expect(hook).toHaveBeenCalledWith(PAGE_SIZE - 4, 5);
    expect(mem.view(PAGE_SIZE - 4, 4)?.length).toBe(4);
  });
});

describe('GuestMemory write generations', () => {
  it('every writer bumps the page it wrote', () => {
    const mem = new GuestMemory(new ArrayBuffer(4 * PAGE_SIZE));
    const gens = mem.generations;
    expect(gens.length).toBe(4);
    mem.write8(PAGE_SIZE + 1, 1);
    expect([...gens]).toEqual([0, 2, 0, 0]);
    mem.write16(PAGE_SIZE + 2, 1);
    mem.write32(PAGE_SIZE + 4, 1);
    mem.write64(PAGE_SIZE + 8, 1n);
    expect([...gens]).toEqual([0, 8, 0, 0]);
    mem.copyIn(3 * PAGE_SIZE, new Uint8Array(10));
    expect([...gens]).toEqual([0, 8, 0, 2]);
  });

  it('multi-page writes bump every page they touch', () => {
    const mem = new GuestMemory(new ArrayBuffer(4 * PAGE_SIZE));
    mem.write32(PAGE_SIZE - 2, 0xffff_ffff); // pages 0 and 1
    expect([...mem.generations]).toEqual([2, 2, 0, 0]);
    mem.write64(2 * PAGE_SIZE - 1, 1n); // pages 1 and 2
    expect([...mem.generations]).toEqual([2, 4, 2, 0]);
    mem.copyIn(PAGE_SIZE - 1, new Uint8Array(2 * PAGE_SIZE + 2)); // pages 0..3
    expect([...mem.generations]).toEqual([4, 6, 4, 2]);
    mem.touch(0, 4 * PAGE_SIZE); // a device that wrote through view()
    expect([...mem.generations]).toEqual([6, 8, 6, 4]);
  });

  it('reads, failed writes and empty copies bump nothing', () => {
    const mem = new GuestMemory(new ArrayBuffer(2 * PAGE_SIZE));
    mem.read32(0);
    mem.read64(8);
    mem.copyOut(0, new Uint8Array(100));
    mem.write32(2 * PAGE_SIZE - 2, 1);
    mem.copyIn(2 * PAGE_SIZE - 2, new Uint8Array(4));
    mem.copyIn(0, new Uint8Array(0));
    mem.touch(0, 0);
    expect([...mem.generations]).toEqual([0, 0]);
  });

  it('touch() ignores pages past the buffer instead of throwing (shared or not)', () => {
    for (const buffer of [new ArrayBuffer(2 * PAGE_SIZE), new SharedArrayBuffer(2 * PAGE_SIZE)]) {
      const mem = new GuestMemory(buffer);
      mem.touch(PAGE_SIZE, 10 * PAGE_SIZE);
      mem.touch(0xffff_f000, 0x2000);
      expect([...mem.generations]).toEqual([0, 2]);
    }
  });

  it('uses a shared generation array for shared memory', () => {
    const mem = new GuestMemory(new SharedArrayBuffer(2 * PAGE_SIZE));
    expect(mem.generations.buffer).toBeInstanceOf(SharedArrayBuffer);
    mem.write8(PAGE_SIZE, 1);
    expect(Atomics.load(mem.generations, 1)).toBe(2);
  });

  it('wraps generations as int32 instead of growing', () => {
    const mem = new GuestMemory(new ArrayBuffer(PAGE_SIZE));
    mem.generations[0] = 0x7fff_fffe;
    mem.write8(0, 1);
    expect(mem.generations[0]).toBe(-0x8000_0000);
  });

  it('keeps the code-cached mark (bit 0) of a page while counting its writes, shared or not', () => {
    for (const buffer of [new ArrayBuffer(2 * PAGE_SIZE), new SharedArrayBuffer(2 * PAGE_SIZE)]) {
      const mem = new GuestMemory(buffer);
      markCodeCached(mem.generations, 1);
      expect([...mem.generations]).toEqual([0, CODE_CACHED]);
      mem.write32(PAGE_SIZE - 2, 7); // pages 0 and 1
      mem.touch(PAGE_SIZE, 1);
      expect([...mem.generations]).toEqual([GENERATION_STEP, CODE_CACHED + 2 * GENERATION_STEP]);
      mem.generations[1] = 0x7fff_ffff; // the mark survives the count's wrap
      mem.write8(PAGE_SIZE, 0);
      expect(mem.generations[1]).toBe(-0x7fff_ffff);
      expect(mem.generations[1] & CODE_CACHED).toBe(CODE_CACHED);
    }
  });

  it('refuses a generation buffer with too few entries (a host bug)', () => {
    expect(
      () => new GuestMemory(new SharedArrayBuffer(4 * PAGE_SIZE), { generations: new SharedArrayBuffer(8) }),
    ).toThrow(RangeError);
  });
});

describe('GuestMemory frames', () => {
  it('gives each page one frame object, reused, aliasing the page', () => {
    const mem = new GuestMemory(new ArrayBuffer(4 * PAGE_SIZE));
    const f1 = mem.frame(1);
    expect(f1).toBeDefined();
    expect(mem.frame(1)).toBe(f1);
    expect(f1?.bytes.length).toBe(PAGE_SIZE);
    expect(f1?.page).toBe(1);
    expect(f1?.generations).toBe(mem.generations);
    f1?.bytes.set([0xab], 5);
    expect(mem.read8(PAGE_SIZE + 5)).toBe(0xab);
    mem.write8(PAGE_SIZE + 6, 0xcd);
    expect(f1?.bytes[6]).toBe(0xcd);
  });

  it('gives distinct ids to different pages and different memories', () => {
    const a = new GuestMemory(new ArrayBuffer(2 * PAGE_SIZE));
    const b = new GuestMemory(new ArrayBuffer(2 * PAGE_SIZE));
    const ids = [a.frame(0)?.id, a.frame(1)?.id, b.frame(0)?.id, b.frame(1)?.id];
    expect(new Set(ids).size).toBe(4);
    expect(ids[1]).toBe((ids[0] ?? 0) + 1);
  });

  it('has no frame beyond pfn_limit or the buffer', () => {
    const mem = new GuestMemory(new ArrayBuffer(4 * PAGE_SIZE), { pfnLimit: 2 });
    expect(mem.frame(1)).toBeDefined();
    expect(mem.frame(2)).toBeUndefined();
    expect(mem.frame(0xffff_ffff)).toBeUndefined();
    mem.setPfnLimit(10);
    expect(mem.frame(3)).toBeDefined();
    expect(mem.frame(4)).toBeUndefined(); // the buffer ends there
    const partial = new GuestMemory(new ArrayBuffer(PAGE_SIZE + 10), { pfnLimit: 2 });
    expect(partial.frame(1)).toBeUndefined(); // a partial page is no frame
  });

  it('honours base', () => {
    const buffer = new ArrayBuffer(3 * PAGE_SIZE);
    const mem = new GuestMemory(buffer, { base: PAGE_SIZE });
    const f0 = mem.frame(0);
    expect(f0?.bytes.byteOffset).toBe(PAGE_SIZE);
    expect(f0?.bytes.buffer).toBe(buffer);
  });
});

describe('GuestMemory sharing', () => {
  it('share() / fromShared() open the same bytes and generations', () => {
    const mem = new GuestMemory(new SharedArrayBuffer(MiB), { base: PAGE_SIZE, pfnLimit: 100 });
    const shared = mem.share();
    expect(shared.base).toBe(PAGE_SIZE);
    expect(shared.pfnLimit).toBe(100);
    const [hook, onFault] = faults();
    const other = GuestMemory.fromShared(structuredClone(shared), onFault);
    expect(other.limit).toBe(100 * PAGE_SIZE);
    other.write32(0x2000, 0x1234_5678);
    expect(mem.read32(0x2000)).toBe(0x1234_5678);
    expect(mem.generations[2]).toBe(2);
    mem.write8(0x2001, 0);
    expect(other.generations[2]).toBe(4);
    expect(other.read8(100 * PAGE_SIZE)).toBe(0);
    expect(hook).toHaveBeenCalledWith(100 * PAGE_SIZE, 1);
  });

  it('refuses to share memory that is not a SharedArrayBuffer (a host bug)', () => {
    expect(() => new GuestMemory(new ArrayBuffer(PAGE_SIZE)).share()).toThrow(TypeError);
  });
});

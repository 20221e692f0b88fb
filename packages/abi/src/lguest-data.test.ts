import { describe, expect, it, vi } from 'vitest';
import { LGUEST_DATA_LAYOUT, LGUEST_DATA_SIZE, LguestDataView, LHCALL_ENTRY_SIZE } from './lguest-data.js';
import { GuestMemory } from './memory.js';

describe('§4 struct lguest_data layout', () => {
  it('matches the table field by field', () => {
    expect(LGUEST_DATA_LAYOUT).toEqual({
      irqEnabled: { offset: 0, size: 4 },
      blockedInterrupts: { offset: 4, size: 4 },
      cr2: { offset: 8, size: 4 },
      timeSec: { offset: 12, size: 4 },
      timeNsec: { offset: 16, size: 4 },
      irqPending: { offset: 20, size: 4 },
      hcallStatus: { offset: 24, size: 64 },
      hcalls: { offset: 88, size: 1280 },
      reserveMem: { offset: 1368, size: 4 },
      tscKhz: { offset: 1372, size: 4 },
      noirqStart: { offset: 1376, size: 4 },
      noirqEnd: { offset: 1380, size: 4 },
      kernelAddress: { offset: 1384, size: 4 },
      syscallVec: { offset: 1388, size: 4 },
    });
  });

  it('is 1392 bytes with no holes, and the ring is 64 × 20 bytes', () => {
    expect(LGUEST_DATA_SIZE).toBe(1392);
    expect(LHCALL_ENTRY_SIZE).toBe(20);
    expect(LGUEST_DATA_LAYOUT.hcalls.size).toBe(64 * LHCALL_ENTRY_SIZE);
    let next = 0;
    for (const field of Object.values(LGUEST_DATA_LAYOUT)) {
      expect(field.offset).toBe(next);
      next = field.offset + field.size;
    }
    expect(next).toBe(LGUEST_DATA_SIZE);
  });
});

function memory(pages = 2, onFault?: (addr: number, len: number) => void): GuestMemory {
  return new GuestMemory(new ArrayBuffer(pages * 4096), { onFault });
}

describe('LguestDataView', () => {
  it('reads and writes every scalar field at its spec offset', () => {
    const mem = memory();
    const gpa = 0x123; // unaligned on purpose: the view must not care
    const view = new LguestDataView(mem, gpa);
    const scalars: [string, number, (v: number) => boolean, () => number][] = [
      ['irq_enabled', 0, (v) => view.setIrqEnabled(v), () => view.irqEnabled()],
      ['blocked_interrupts', 4, (v) => view.setBlockedInterrupts(v), () => view.blockedInterrupts()],
      ['cr2', 8, (v) => view.setCr2(v), () => view.cr2()],
      ['irq_pending', 20, (v) => view.setIrqPending(v), () => view.irqPending()],
      ['reserve_mem', 1368, (v) => view.setReserveMem(v), () => view.reserveMem()],
      ['tsc_khz', 1372, (v) => view.setTscKhz(v), () => view.tscKhz()],
      ['noirq_start', 1376, (v) => view.setNoirqStart(v), () => view.noirqStart()],
      ['noirq_end', 1380, (v) => view.setNoirqEnd(v), () => view.noirqEnd()],
      ['kernel_address', 1384, (v) => view.setKernelAddress(v), () => view.kernelAddress()],
      ['syscall_vec', 1388, (v) => view.setSyscallVec(v), () => view.syscallVec()],
    ];
    scalars.forEach(([name, offset, set, get], i) => {
      const value = (0x8000_0000 + i * 0x0101_0101) >>> 0;
      expect([name, set(value)]).toEqual([name, true]);
      expect([name, mem.read32(gpa + offset)]).toEqual([name, value]);
      expect([name, get()]).toEqual([name, value]);
      mem.write32(gpa + offset, 0x200 + i);
      expect([name, get()]).toEqual([name, 0x200 + i]);
    });
  });

  it('writes both time words', () => {
    const mem = memory();
    const view = new LguestDataView(mem, 0);
    expect(view.setTime(1_700_000_000, 999_999_999)).toBe(true);
    expect(mem.read32(12)).toBe(1_700_000_000);
    expect(mem.read32(16)).toBe(999_999_999);
    expect([view.timeSec(), view.timeNsec()]).toEqual([1_700_000_000, 999_999_999]);
  });

  it('addresses the async ring: status bytes at 24 + slot, words at 88 + 20·slot + 4·arg', () => {
    const mem = memory();
    const view = new LguestDataView(mem, 0x400);
    for (let slot = 0; slot < 64; slot++) {
      view.setHcallStatus(slot, slot === 5 ? 0 : 0xff);
      for (let arg = 0; arg < 5; arg++) view.setHcallArg(slot, arg, slot * 100 + arg);
    }
    expect(mem.read8(0x400 + 24 + 5)).toBe(0);
    expect(mem.read8(0x400 + 24 + 63)).toBe(0xff);
    expect(mem.read32(0x400 + 88 + 20 * 5 + 4 * 3)).toBe(503);
    expect(mem.read32(0x400 + 88 + 20 * 63 + 4 * 4)).toBe(6304);
    expect(view.hcallArg(63, 4)).toBe(6304);
    expect(view.hcallStatus(5)).toBe(0);
    mem.write8(0x400 + 24 + 7, 0);
    const snapshot = new Uint8Array(64);
    expect(view.copyHcallStatus(snapshot)).toBe(true);
    expect([...snapshot].map((s, i) => (s === 0 ? i : -1)).filter((i) => i >= 0)).toEqual([5, 7]);
  });

  it('rejects slot and word numbers outside the ring (host bugs)', () => {
    const view = new LguestDataView(memory(), 0);
    expect(() => view.hcallStatus(64)).toThrow(RangeError);
    expect(() => view.hcallStatus(-1)).toThrow(RangeError);
    expect(() => view.setHcallStatus(1.5, 0)).toThrow(RangeError);
    expect(() => view.hcallArg(0, 5)).toThrow(RangeError);
    expect(() => view.setHcallArg(64, 0, 0)).toThrow(RangeError);
    expect(() => view.copyHcallStatus(new Uint8Array(63))).toThrow(RangeError);
  });

  it('fits() applies the range rule to the whole 1392 bytes', () => {
    const mem = memory(1);
    expect(new LguestDataView(mem, 4096 - 1392).fits()).toBe(true);
    expect(new LguestDataView(mem, 4096 - 1391).fits()).toBe(false);
    expect(new LguestDataView(mem, 0xffff_fff0).fits()).toBe(false);
  });

  it('reads 0 and reports a fault for a field beyond the limit, without throwing', () => {
    const onFault = vi.fn();
    const mem = memory(1, onFault);
    mem.bytes.fill(0xaa);
    const view = new LguestDataView(mem, 4096 - 8); // irq_enabled fits, syscall_vec does not
    expect(view.irqEnabled()).toBe(0xaaaa_aaaa);
    expect(onFault).not.toHaveBeenCalled();
    expect(view.syscallVec()).toBe(0);
    expect(onFault).toHaveBeenCalledWith(4096 - 8 + 1388, 4);
    expect(view.setTscKhz(1)).toBe(false);
    expect(onFault).toHaveBeenCalledTimes(2);
  });

  it('never wraps gpa + offset around 2^32 into low memory', () => {
    const onFault = vi.fn();
    const mem = memory(1, onFault);
    mem.write32(1388 - 0x10, 0x80);
    const view = new LguestDataView(mem, 0xffff_fff0);
    expect(view.syscallVec()).toBe(0);
    expect(onFault).toHaveBeenCalledWith(0xffff_fff0 + 1388, 4);
  });

  it('can be re-aimed with at()', () => {
    const mem = memory();
    mem.write32(0x800, 0x200);
    const view = new LguestDataView(mem);
    expect(view.gpa).toBe(0);
    expect(view.at(0x800)).toBe(view);
    expect(view.irqEnabled()).toBe(0x200);
    expect(view.size).toBe(1392);
  });
});

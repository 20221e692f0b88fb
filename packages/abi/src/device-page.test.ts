import { describe, expect, it, vi } from 'vitest';
import * as dp from './device-page.js';
import { GuestMemory } from './memory.js';

describe('§9.1 device descriptors', () => {
  it('have the 5-byte header of the table', () => {
    expect(dp.LGUEST_DEVICE_DESC_LAYOUT).toEqual({
      type: { offset: 0, size: 1 },
      numVq: { offset: 1, size: 1 },
      featureLen: { offset: 2, size: 1 },
      configLen: { offset: 3, size: 1 },
      status: { offset: 4, size: 1 },
    });
    expect(dp.LGUEST_DEVICE_DESC_SIZE).toBe(5);
    expect(dp.DEVICE_PAGE_SIZE).toBe(4096);
    expect(dp.LGUEST_MAX_FEATURE_BITS).toBe(32);
  });

  it('have 8-byte vqconfigs: u16 num, u16 irq, u32 pfn', () => {
    expect(dp.LGUEST_VQCONFIG_LAYOUT).toEqual({
      num: { offset: 0, size: 2 },
      irq: { offset: 2, size: 2 },
      pfn: { offset: 4, size: 4 },
    });
    expect(dp.LGUEST_VQCONFIG_SIZE).toBe(8);
  });

  it('size = 5 + 8·num_vq + 2·feature_len + config_len', () => {
    for (const [numVq, featureLen, configLen] of [
      [0, 0, 0],
      [2, 0, 0],
      [1, 2, 16],
      [2, 4, 10],
      [255, 255, 255],
    ]) {
      expect(dp.deviceDescSize(numVq, featureLen, configLen)).toBe(
        5 + 8 * numVq + 2 * featureLen + configLen,
      );
      expect(dp.deviceVqOffset(numVq)).toBe(5 + 8 * numVq);
      expect(dp.deviceFeaturesOffset(numVq)).toBe(5 + 8 * numVq);
      expect(dp.deviceAcceptedOffset(numVq, featureLen)).toBe(5 + 8 * numVq + featureLen);
      expect(dp.deviceConfigOffset(numVq, featureLen)).toBe(5 + 8 * numVq + 2 * featureLen);
    }
    // The reference console (2 queues, no features, no config), block (1 queue, 2, 16), net (2, 4, 10).
    expect(dp.deviceDescSize(2, 0, 0)).toBe(21);
    expect(dp.deviceDescSize(1, 2, 16)).toBe(33);
    expect(dp.deviceDescSize(2, 4, 10)).toBe(39);
  });

  it('feature bit k is byte k/8, mask 1 << (k % 8)', () => {
    expect([dp.featureByte(0), dp.featureMask(0)]).toEqual([0, 1]);
    expect([dp.featureByte(9), dp.featureMask(9)]).toEqual([1, 2]);
    expect([dp.featureByte(28), dp.featureMask(28)]).toEqual([3, 0x10]);
    expect([dp.featureByte(31), dp.featureMask(31)]).toEqual([3, 0x80]);
  });
});

describe('DeviceDescView', () => {
  function page(): GuestMemory {
    return new GuestMemory(new ArrayBuffer(2 * 4096));
  }

  it('builds a descriptor the guest can walk, back to back and unaligned', () => {
    const mem = page();
    const base = 4096;
    const view = new dp.DeviceDescView(mem, base);
    // A block device: 1 queue, feature_len 2, config_len 16.
    expect(view.setHeader(2, 1, 2, 16)).toBe(true);
    expect(view.setVq(0, 256, 1, 0x4001)).toBe(true);
    expect(view.setOffered(2, true)).toBe(true);
    expect(view.setOffered(9, true)).toBe(true);
    expect(view.size).toBe(33);
    expect([...mem.bytes.subarray(base, base + 5)]).toEqual([2, 1, 2, 16, 0]);
    expect(mem.read16(base + 5)).toBe(256);
    expect(mem.read16(base + 7)).toBe(1);
    expect(mem.read32(base + 9)).toBe(0x4001);
    expect([mem.read8(base + 13), mem.read8(base + 14)]).toEqual([0x04, 0x02]);
    expect(view.featuresGpa()).toBe(base + 13);
    expect(view.acceptedGpa()).toBe(base + 15);
    expect(view.configGpa()).toBe(base + 17);
    expect([view.vqNum(0), view.vqIrq(0), view.vqPfn(0)]).toEqual([256, 1, 0x4001]);
    expect(view.offeredWord()).toBe((1 << 2) | (1 << 9));

    // The next descriptor starts right after, at an odd offset.
    const next = new dp.DeviceDescView(mem, base + view.size);
    next.setHeader(3, 2, 0, 0);
    next.setVq(0, 256, 2, 0x4004);
    next.setVq(1, 256, 3, 0x4007);
    expect(mem.read32(base + 33 + 5 + 8 + 4)).toBe(0x4007);

    // The guest's walk: from offset 0 until type 0.
    const walker = new dp.DeviceDescView(mem, base);
    const types = [];
    while (walker.type() !== 0 && walker.gpa < base + 4096) {
      types.push(walker.type());
      walker.at(walker.gpa + walker.size);
    }
    expect(types).toEqual([2, 3]);
  });

  it('reads status and accepted features the guest writes', () => {
    const mem = page();
    const view = new dp.DeviceDescView(mem, 0);
    view.setHeader(1, 2, 4, 10);
    mem.write8(4, 3); // guest: ACKNOWLEDGE | DRIVER
    mem.write32(dp.deviceAcceptedOffset(2, 4), (1 << 0) | (1 << 5) | (1 << 28));
    expect(view.status()).toBe(3);
    expect(view.accepted(0)).toBe(true);
    expect(view.accepted(5)).toBe(true);
    expect(view.accepted(28)).toBe(true);
    expect(view.accepted(1)).toBe(false);
    expect(view.acceptedWord()).toBe(((1 << 0) | (1 << 5) | (1 << 28)) >>> 0);
    view.setAccepted(31, true);
    expect(view.acceptedWord()).toBe(((1 << 0) | (1 << 5) | (1 << 28) | (1 << 31)) >>> 0);
    view.setAccepted(5, false);
    expect(view.accepted(5)).toBe(false);
    expect(view.setStatus(0)).toBe(true);
    expect(mem.read8(4)).toBe(0);
  });

  it('treats bits beyond feature_len as clear and refuses to set them', () => {
    const mem = page();
    const view = new dp.DeviceDescView(mem, 0);
    view.setHeader(2, 1, 2, 16);
    mem.write8(dp.deviceConfigOffset(1, 2), 0xff); // config byte right after the bitmaps
    expect(view.offered(16)).toBe(false);
    expect(view.accepted(16)).toBe(false);
    expect(view.setOffered(16, true)).toBe(false);
    expect(view.offered(-1)).toBe(false);
    expect(mem.read8(dp.deviceConfigOffset(1, 2))).toBe(0xff);
    // A 2-byte bitmap reads as a 16-bit word.
    view.setOffered(15, true);
    expect(view.offeredWord()).toBe(0x8000);
  });

  it('survives a guest that scribbles over the header', () => {
    const onFault = vi.fn();
    const mem = new GuestMemory(new ArrayBuffer(4096), { onFault });
    const view = new dp.DeviceDescView(mem, 4096 - 8);
    view.setHeader(1, 255, 255, 255);
    expect(view.size).toBe(5 + 8 * 255 + 2 * 255 + 255);
    expect(view.fits()).toBe(false);
    expect(view.vqPfn(200)).toBe(0);
    expect(view.accepted(7)).toBe(false);
    expect(onFault).toHaveBeenCalled();
  });
});

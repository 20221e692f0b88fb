import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEVICE_PAGES,
  GuestMemory,
  LGUEST_VRING_ALIGN,
  PAGE_SIZE,
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_SEG_MAX,
  VIRTIO_ID_BLOCK,
  VIRTIO_ID_CONSOLE,
  VIRTIO_ID_RNG,
} from '@lguest/abi';
import { BlockDevice, ConsoleDevice, LguestBus, LocalTransport, RngDevice } from '@lguest/devices';
import { afterEach, describe, expect, it } from 'vitest';
import { TestGuest } from '../test/guest-driver.js';
import { RecordingDevice } from '../test/recording-device.js';

const RAM = 1 << 20;
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function disk(bytes: number): string {
  dir = mkdtempSync(join(tmpdir(), 'lguest-devpage-'));
  const path = join(dir, 'disk.img');
  writeFileSync(path, Buffer.alloc(bytes));
  return path;
}

describe('the device page', () => {
  it('lays out block, rng and console descriptors at the spec offsets, IRQs from 1, vrings above', () => {
    const block = BlockDevice.open(disk(8192 + 100));
    const guest = new TestGuest([block, new RngDevice(), new ConsoleDevice({ output: () => {} })], RAM);
    const page = guest.peek(RAM, 128);
    const vring0 = (RAM + PAGE_SIZE) / PAGE_SIZE;
    // Block: type 2, 1 queue, feature_len 2, config_len 16, status 0.
    expect([...page.subarray(0, 5)]).toEqual([VIRTIO_ID_BLOCK, 1, 2, 16, 0]);
    // vqconfig: num 256, irq 1, pfn of the first page above the device page.
    const dv = new DataView(page.buffer);
    expect(dv.getUint16(5, true)).toBe(256);
    expect(dv.getUint16(7, true)).toBe(1);
    expect(dv.getUint32(9, true)).toBe(vring0);
    // Offered features SEG_MAX (bit 2) and FLUSH (bit 9), then the accepted bitmap (zero).
    expect(page[13]).toBe(1 << VIRTIO_BLK_F_SEG_MAX);
    expect(page[14]).toBe(1 << (VIRTIO_BLK_F_FLUSH - 8));
    expect([page[15], page[16]]).toEqual([0, 0]);
    // Config: capacity 16 sectors (the 100-byte tail is not addressable), size_max 0, seg_max 254.
    expect(dv.getBigUint64(17, true)).toBe(16n);
    expect(dv.getUint32(25, true)).toBe(0);
    expect(dv.getUint32(29, true)).toBe(254);
    // RNG at 5 + 8 + 4 + 16 = 33: one queue, no features, no config; irq 2, next 3 pages.
    expect([...page.subarray(33, 38)]).toEqual([VIRTIO_ID_RNG, 1, 0, 0, 0]);
    expect(dv.getUint16(38, true)).toBe(256);
    expect(dv.getUint16(40, true)).toBe(2);
    expect(dv.getUint32(42, true)).toBe(vring0 + 3);
    // Console at 33 + 13 = 46: two queues, irqs 3 and 4.
    expect([...page.subarray(46, 51)]).toEqual([VIRTIO_ID_CONSOLE, 2, 0, 0, 0]);
    expect([dv.getUint16(53, true), dv.getUint16(61, true)]).toEqual([3, 4]);
    expect([dv.getUint32(55, true), dv.getUint32(63, true)]).toEqual([vring0 + 6, vring0 + 9]);
    // The list ends with a type of 0, and guest_limit is the end of the last vring.
    expect(guest.peek(RAM + 67, 1)[0]).toBe(0);
    expect(guest.bus.limit).toBe(RAM + PAGE_SIZE * (1 + 4 * 3));
    expect(LGUEST_VRING_ALIGN).toBe(PAGE_SIZE);
    // The guest's own scan agrees.
    expect(guest.scan().map((d) => d.type)).toEqual([VIRTIO_ID_BLOCK, VIRTIO_ID_RNG, VIRTIO_ID_CONSOLE]);
    guest.bus.close();
  });

  it('says "Too many devices" when the page is full, and leaves it as it was', () => {
    const memory = new GuestMemory(new SharedArrayBuffer(RAM + DEVICE_PAGES * PAGE_SIZE));
    const bus = new LguestBus(new LocalTransport(memory), { ramSize: RAM, listen: false });
    const big = () => new RecordingDevice({ queues: [], config: new Uint8Array(255), featureLen: 0 });
    for (let i = 0; i < 15; i++) bus.add(big()); // 15 × 260 = 3900 bytes
    const before = memory.bytes.slice(RAM, RAM + PAGE_SIZE);
    expect(() => bus.add(big())).toThrow(/Too many devices/);
    expect(memory.bytes.subarray(RAM, RAM + PAGE_SIZE)).toEqual(before);
    expect(bus.devices).toHaveLength(15);
  });

  it('says "Not enough memory for devices" when the vring pages run out', () => {
    const memory = new GuestMemory(new SharedArrayBuffer(RAM + DEVICE_PAGES * PAGE_SIZE));
    const bus = new LguestBus(new LocalTransport(memory), { ramSize: RAM, listen: false });
    // 255 pages above the device page: an 8192-entry vring takes 54 pages, so four fit and a fifth does not.
    for (let i = 0; i < 4; i++) bus.add(new RecordingDevice({ queues: [8192] }));
    expect(() => bus.add(new RecordingDevice({ queues: [8192] }))).toThrow(/Not enough memory for devices/);
    // Memory that ends before the reserved pages is caught the same way.
    const small = new GuestMemory(new SharedArrayBuffer(RAM + 4 * PAGE_SIZE));
    const bus2 = new LguestBus(new LocalTransport(small), { ramSize: RAM, listen: false });
    expect(() => bus2.add(new ConsoleDevice({ output: () => {} }))).toThrow(/Not enough memory/);
  });

  it('runs out of IRQ lines after 31 queues', () => {
    const memory = new GuestMemory(new SharedArrayBuffer(RAM + DEVICE_PAGES * PAGE_SIZE));
    const bus = new LguestBus(new LocalTransport(memory), { ramSize: RAM, listen: false });
    bus.add(new RecordingDevice({ queues: Array(31).fill(2) }));
    expect(() => bus.add(new RecordingDevice({ queues: [2] }))).toThrow(/IRQ/);
  });

  it('rejects descriptors it cannot describe', () => {
    const memory = new GuestMemory(new SharedArrayBuffer(RAM + DEVICE_PAGES * PAGE_SIZE));
    const bus = new LguestBus(new LocalTransport(memory), { ramSize: RAM, listen: false });
    expect(() => bus.add(new RecordingDevice({ queues: [3] }))).toThrow(/power of two/);
    expect(() => bus.add(new RecordingDevice({ features: 1 << 9, featureLen: 1 }))).toThrow(/feature_len/);
    expect(() => bus.add(new RecordingDevice({ config: new Uint8Array(256) }))).toThrow(/config_len/);
    expect(() => new LguestBus(new LocalTransport(memory), { ramSize: RAM + 1 })).toThrow(RangeError);
  });
});

import {
  GuestMemory,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_USED_F_NO_NOTIFY,
  VringView,
} from '@lguest/abi';
import { featureBit, LocalTransport, Virtqueue } from '@lguest/devices';
import { describe, expect, it } from 'vitest';

const RING = 0x10000;

function setup(num = 8, features = 0) {
  const memory = new GuestMemory(new SharedArrayBuffer(1 << 20));
  const irqs: number[] = [];
  const transport = new LocalTransport(memory, { onIrq: (irq) => irqs.push(irq) });
  const q = new Virtqueue(transport, { name: 'test q', gpa: RING, num, irq: 5 });
  q.reset();
  expect(q.activate(features)).toBe(true);
  const ring = new VringView(memory, RING, num);
  let avail = 0;
  const publish = (head: number) => {
    ring.setAvailRing(avail, head);
    avail = (avail + 1) & 0xffff;
    ring.setAvailIdx(avail);
  };
  return { memory, transport, q, ring, irqs, publish };
}

describe('Virtqueue', () => {
  it('walks a chain of readable then writable buffers and moves data across descriptor boundaries', () => {
    const { memory, q, ring, irqs, publish } = setup();
    memory.copyIn(0x1000, new TextEncoder().encode('abc'));
    memory.copyIn(0x2000, new TextEncoder().encode('defgh'));
    ring.setDesc(3, 0x1000, 3, VRING_DESC_F_NEXT, 6);
    ring.setDesc(6, 0x2000, 5, VRING_DESC_F_NEXT, 1);
    ring.setDesc(1, 0x3000, 2, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
    ring.setDesc(0, 0x4000, 10, VRING_DESC_F_WRITE, 0);
    publish(3);
    const chain = q.pop();
    expect(chain).toBeDefined();
    if (!chain) return;
    expect([chain.head, chain.outCount, chain.inCount, chain.outBytes, chain.inBytes]).toEqual([
      3, 2, 2, 8, 12,
    ]);
    const out = new Uint8Array(6);
    expect(chain.gather(1, out)).toBe(6);
    expect(new TextDecoder().decode(out)).toBe('bcdefg');
    expect(chain.scatter(1, new TextEncoder().encode('XYZ'))).toBe(3);
    expect(new TextDecoder().decode(memory.bytes.subarray(0x3001, 0x3002))).toBe('X');
    expect(new TextDecoder().decode(memory.bytes.subarray(0x4000, 0x4002))).toBe('YZ');
    q.push(chain.head, 4);
    expect([ring.usedIdx(), ring.usedId(0), ring.usedLen(0)]).toEqual([1, 3, 4]);
    expect(q.pop()).toBeUndefined();
    expect(q.interrupt()).toBe(true);
    expect(irqs).toEqual([5]);
    expect(q.interrupt()).toBe(false); // nothing owed any more
  });

  it('honours NO_INTERRUPT, and the debt is cleared even when suppressed', () => {
    const { q, ring, irqs, publish } = setup();
    ring.setDesc(0, 0x1000, 4, VRING_DESC_F_WRITE, 0);
    ring.setAvailFlags(VRING_AVAIL_F_NO_INTERRUPT);
    publish(0);
    q.service((c) => q.push(c.head, 0));
    expect(ring.usedIdx()).toBe(1);
    expect(irqs).toEqual([]);
    ring.setAvailFlags(0);
    expect(q.interrupt()).toBe(false);
  });

  it('sets NO_NOTIFY while draining, clears it after, and catches a chain published meanwhile', () => {
    const { q, ring, irqs, publish } = setup();
    ring.setDesc(0, 0x1000, 4, VRING_DESC_F_WRITE, 0);
    ring.setDesc(1, 0x2000, 4, VRING_DESC_F_WRITE, 0);
    publish(0);
    const seen: [number, number][] = [];
    q.service((c) => {
      seen.push([c.head, ring.usedFlags()]);
      // The guest adds another buffer while the device works: it sees NO_NOTIFY and does not kick.
      if (c.head === 0) publish(1);
      q.push(c.head, 4);
    });
    expect(seen).toEqual([
      [0, VRING_USED_F_NO_NOTIFY],
      [1, VRING_USED_F_NO_NOTIFY],
    ]);
    expect(ring.usedFlags()).toBe(0);
    expect(ring.usedIdx()).toBe(2);
    expect(irqs).toEqual([5]); // one interrupt for the pass
  });

  it('with EVENT_IDX, interrupts only when used_event is passed and publishes avail_event', () => {
    const { q, ring, irqs, publish } = setup(8, featureBit(VIRTIO_RING_F_EVENT_IDX));
    for (let i = 0; i < 4; i++) ring.setDesc(i, 0x1000 * (i + 1), 4, VRING_DESC_F_WRITE, 0);
    ring.setUsedEvent(1); // "interrupt me when used.idx passes 1"
    publish(0);
    q.service((c) => q.push(c.head, 4)); // used 0 → 1: event 1 not passed
    expect(irqs).toEqual([]);
    expect(ring.availEvent()).toBe(1);
    expect(ring.usedFlags()).toBe(0); // NO_NOTIFY is not used with EVENT_IDX
    publish(1);
    q.service((c) => q.push(c.head, 4)); // used 1 → 2: passes 1
    expect(irqs).toEqual([5]);
    expect(ring.availEvent()).toBe(2);
  });

  it('follows an indirect table when INDIRECT_DESC was negotiated', () => {
    const { memory, q, ring, publish } = setup(8, featureBit(VIRTIO_RING_F_INDIRECT_DESC));
    const table = new VringView(memory, 0x8000, 4); // its descriptor table is the indirect table
    table.setDesc(0, 0x1000, 16, VRING_DESC_F_NEXT, 2);
    table.setDesc(2, 0x2000, 100, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
    table.setDesc(1, 0x3000, 1, VRING_DESC_F_WRITE, 7); // 3.18 leaves a stale next without NEXT
    ring.setDesc(4, 0x8000, 48, VRING_DESC_F_INDIRECT, 0);
    publish(4);
    const chain = q.pop();
    expect(chain && [chain.head, chain.outCount, chain.inCount, chain.outBytes, chain.inBytes]).toEqual([
      4, 1, 2, 16, 101,
    ]);
  });

  it('keeps the free-running indices right across the u16 wrap', () => {
    const { q, ring, publish } = setup(2);
    ring.setDesc(0, 0x1000, 1, VRING_DESC_F_WRITE, 0);
    for (let i = 0; i < 0x10010; i++) {
      publish(0);
      q.service((c) => q.push(c.head, 1));
    }
    expect(q.lastAvail).toBe(0x10);
    expect(ring.usedIdx()).toBe(0x10);
    expect(ring.usedId(0xf)).toBe(0);
  });

  it('yields nothing before activation or after a reset', () => {
    const { q, ring, publish } = setup();
    ring.setDesc(0, 0x1000, 1, VRING_DESC_F_WRITE, 0);
    q.reset();
    publish(0);
    expect(q.hasAvailable()).toBe(false);
    expect(q.pop()).toBeUndefined();
  });

  it('works over plain (non-shared) memory whose gpa 0 sits at an odd byte offset', () => {
    const memory = new GuestMemory(new ArrayBuffer((1 << 20) + 1), { base: 1 });
    const irqs: number[] = [];
    const q = new Virtqueue(new LocalTransport(memory, { onIrq: (irq) => irqs.push(irq) }), {
      name: 'odd',
      gpa: RING,
      num: 4,
      irq: 2,
    });
    q.reset();
    q.activate(0);
    const ring = new VringView(memory, RING, 4);
    ring.setDesc(0, 0x1000, 8, VRING_DESC_F_WRITE, 0);
    ring.setAvailRing(0, 0);
    ring.setAvailIdx(1);
    q.service((c) => {
      expect(ring.usedFlags()).toBe(VRING_USED_F_NO_NOTIFY);
      c.scatter(0, new Uint8Array([1, 2, 3]));
      q.push(c.head, 3);
    });
    expect([ring.usedIdx(), ring.usedId(0), ring.usedLen(0), ring.usedFlags()]).toEqual([1, 0, 3, 0]);
    expect([...memory.bytes.subarray(0x1000, 0x1003)]).toEqual([1, 2, 3]);
    expect(irqs).toEqual([2]);
  });

  it('bumps the write generation of every page it writes, so decoded-code caches notice', () => {
    const { memory, q, ring, publish } = setup();
    ring.setDesc(0, 0x4ff0, 0x20, VRING_DESC_F_WRITE, 0); // straddles pages 4 and 5
    publish(0);
    const before = [memory.generations[4], memory.generations[5], memory.generations[(RING >> 12) + 1]];
    q.service((c) => {
      c.scatter(0, new Uint8Array(0x20).fill(9));
      q.push(c.head, 0x20);
    });
    const after = [memory.generations[4], memory.generations[5], memory.generations[(RING >> 12) + 1]];
    for (let i = 0; i < 3; i++) expect(after[i]).toBeGreaterThan(before[i]); // page RING+1 holds the used ring
  });
});

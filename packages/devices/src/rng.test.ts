import { VIRTIO_ID_RNG } from '@lguest/abi';
import { RNG_MAX_FILL, RngDevice } from '@lguest/devices';
import { describe, expect, it } from 'vitest';
import { TestGuest } from '../test/guest-driver.js';

describe('entropy device', () => {
  it('fills every writable buffer completely and reports the total', () => {
    const guest = new TestGuest([new RngDevice()]);
    const [d] = guest.probeAll();
    expect([d.type, d.desc.numVq(), d.desc.featureLen(), d.desc.configLen()]).toEqual([
      VIRTIO_ID_RNG,
      1,
      0,
      0,
    ]);
    const q = d.queue(0);
    const a = q.post([], [64, 4000]);
    const b = q.post([], [64]);
    q.kick();
    expect(q.takeUsed()).toEqual([
      { id: a.head, len: 4064 },
      { id: b.head, len: 64 },
    ]);
    const first = guest.peek(a.in[0], 64);
    const second = guest.peek(b.in[0], 64);
    const big = guest.peek(a.in[1], 4000);
    // Random bytes: the two 64-byte buffers differ, and no long run of zeros survives in 4000 bytes.
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(false);
    expect(big.filter((x) => x === 0).length).toBeLessThan(100);
    expect(new Set(big).size).toBeGreaterThan(200);
    expect(guest.irqs).toEqual([q.irq]);
  });

  it('caps what one chain may ask for', () => {
    const guest = new TestGuest([new RngDevice()], 4 << 20);
    const q = guest.probeAll()[0].queue(0);
    const huge = q.post([], [RNG_MAX_FILL, 1000]);
    q.kick();
    expect(q.takeUsed()).toEqual([{ id: huge.head, len: RNG_MAX_FILL }]);
    expect(guest.peek(huge.in[1], 1000).every((x) => x === 0)).toBe(true);
  });
});

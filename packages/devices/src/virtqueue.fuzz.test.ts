/**
 * Seeded fuzzing of the vring walker: random (mostly nearly-valid) descriptor tables, indirect tables,
 * avail rings and indices. Whatever the guest wrote, nothing throws, and every outcome is either a
 * kill with a reason or a set of valid completions: every chain the device saw had a head below num,
 * at most num buffers, readable ones first, each inside guest memory.
 */
import {
  DeathRecord,
  GuestMemory,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  VringView,
} from '@lguest/abi';
import { featureBit, LocalTransport, Virtqueue } from '@lguest/devices';
import { expect, it } from 'vitest';
import { seededRandom } from '../../../tools/testing/random.js';

const ITERATIONS = 20_000;
const MEMORY = 64 * 1024;
const RING = 0x8000;
const TABLES = 0x2000;

it(`survives ${ITERATIONS} random vrings with a kill or valid completions`, () => {
  const random = seededRandom(0x1a9e57);
  const int = (n: number) => Math.floor(random() * n);
  const memory = new GuestMemory(new SharedArrayBuffer(MEMORY));
  const scratch = new Uint8Array(64);
  let kills = 0;
  let completions = 0;
  const reasons = new Set<string>();

  const pickAddr = (): number => {
    switch (int(8)) {
      case 0:
        return MEMORY - int(64); // near the end
      case 1:
        return 0xffff_ffff - int(64); // wraps
      case 2:
        return 0x1_0000_0000 + int(0x1000); // high word
      case 3:
        return TABLES + 16 * int(8); // an indirect table
      default:
        return 0x1000 + int(0x6000);
    }
  };
  const pickLen = (): number => {
    switch (int(6)) {
      case 0:
        return 0xffff_ffff - int(16);
      case 1:
        return 16 * int(10);
      case 2:
        return int(0x10000);
      default:
        return int(200);
    }
  };

  for (let iteration = 0; iteration < ITERATIONS; iteration++) {
    const num = 1 << int(5);
    const features =
      (random() < 0.5 ? featureBit(VIRTIO_RING_F_INDIRECT_DESC) : 0) |
      (random() < 0.2 ? featureBit(VIRTIO_RING_F_EVENT_IDX) : 0);
    const killer = new DeathRecord();
    const transport = new LocalTransport(memory, { killer });
    const q = new Virtqueue(transport, { name: 'fuzz', gpa: RING, num, irq: 1 });
    q.reset();
    q.activate(features);
    const ring = new VringView(memory, RING, num);
    const tables = new VringView(memory, TABLES, 64);
    // Half the rings are well-formed but for rare slips, so completions get exercised as much as kills.
    const clean = random() < 0.5;
    const writable = random() < 0.5 ? 2 : 0;
    for (let i = 0; i < num; i++) {
      if (clean && random() < 0.98) {
        const more = i + 1 < num && random() < 0.3;
        ring.setDesc(i, 0x1000 + int(0x6000), int(200), writable | (more ? 1 : 0), more ? i + 1 : 0);
      } else {
        ring.setDesc(i, pickAddr(), pickLen(), int(8), random() < 0.8 ? int(num) : int(0x10000));
      }
    }
    for (let i = 0; i < 64; i++) {
      tables.setDesc(i, pickAddr(), pickLen(), int(8), random() < 0.8 ? int(8) : int(0x10000));
    }
    const outstanding = clean || random() < 0.9 ? int(num + 1) : int(0x10000);
    for (let i = 0; i < num; i++) ring.setAvailRing(i, clean || random() < 0.9 ? int(num) : int(0x10000));
    ring.setAvailIdx(outstanding);
    ring.setAvailFlags(int(2));

    let handled = 0;
    q.service((chain) => {
      handled++;
      expect(chain.head).toBeLessThan(num);
      expect(chain.count).toBeLessThanOrEqual(num);
      let out = 0;
      let inn = 0;
      for (let i = 0; i < chain.count; i++) {
        expect(memory.addressOk(chain.addr[i], chain.len[i])).toBe(true);
        if (i < chain.outCount) out += chain.len[i];
        else inn += chain.len[i];
      }
      expect([out, inn]).toEqual([chain.outBytes, chain.inBytes]);
      chain.gather(int(32), scratch);
      const wrote = chain.scatter(int(32), scratch.subarray(0, int(64)));
      q.push(chain.head, wrote);
    });

    if (killer.dead) {
      kills++;
      expect(killer.reason).toMatch(/^fuzz: /);
      reasons.add((killer.reason ?? '').replace(/[0-9a-fx]+/g, '#'));
    } else {
      expect(handled).toBe(outstanding);
      expect(ring.usedIdx()).toBe(outstanding & 0xffff);
      for (let i = 0; i < handled; i++) expect(ring.usedId(i)).toBeLessThan(num);
      completions += handled;
    }
  }
  // The generator reaches both outcomes and most of the walker's checks.
  expect(kills).toBeGreaterThan(ITERATIONS / 10);
  expect(completions).toBeGreaterThan(ITERATIONS / 10);
  expect(reasons.size).toBeGreaterThanOrEqual(8);
});

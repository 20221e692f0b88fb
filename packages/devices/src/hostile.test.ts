/**
 * A hostile guest's malformed vrings: each one kills that guest with a reason naming the offending
 * value, nothing throws, and a second guest served in the same process keeps working.
 */
import {
  VIRTIO_RING_F_INDIRECT_DESC,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VringView,
} from '@lguest/abi';
import { ConsoleDevice, featureBit } from '@lguest/devices';
import { describe, expect, it } from 'vitest';
import { type GuestQueue, TestGuest } from '../test/guest-driver.js';
import { RecordingDevice } from '../test/recording-device.js';

const NUM = 8;
const INDIRECT = featureBit(VIRTIO_RING_F_INDIRECT_DESC);
const W = VRING_DESC_F_WRITE;
const N = VRING_DESC_F_NEXT;
const I = VRING_DESC_F_INDIRECT;

interface Case {
  readonly name: string;
  /** Features the hostile guest accepts (INDIRECT_DESC is offered). */
  readonly accept?: number;
  /** Lays out the malformed ring; returns nothing, the harness kicks. */
  readonly build: (q: GuestQueue, guest: TestGuest) => void;
  readonly reason: RegExp | ((guest: TestGuest) => string);
}

/** An indirect table at a fresh gpa, written through a VringView over it. */
function table(guest: TestGuest, entries: number): { gpa: number; view: VringView } {
  const gpa = guest.alloc(16 * entries);
  return { gpa, view: new VringView(guest.memory, gpa, entries) };
}

const cases: Case[] = [
  {
    name: 'a descriptor loop',
    build: (q) => {
      q.ring.setDesc(0, 0x1000, 4, W | N, 1);
      q.ring.setDesc(1, 0x1000, 4, W | N, 0);
      q.publish(0);
    },
    reason: /test q0: looped descriptor chain from head 0: more than 8 descriptors/,
  },
  {
    name: 'a chain that revisits itself through every entry (longer than num)',
    build: (q) => {
      for (let i = 0; i < NUM; i++) q.ring.setDesc(i, 0x1000, 4, N, (i + 1) % NUM);
      q.publish(3);
    },
    reason: /looped descriptor chain from head 3: more than 8 descriptors/,
  },
  {
    name: 'a head index at or above num',
    build: (q) => q.publish(NUM),
    reason: /head descriptor 8 at avail slot 0 is not below 8/,
  },
  {
    name: 'a head index of 0xffff',
    build: (q) => q.publish(0xffff),
    reason: /head descriptor 65535 /,
  },
  {
    name: 'a next index at or above num',
    build: (q) => {
      q.ring.setDesc(2, 0x1000, 4, N, 9);
      q.publish(2);
    },
    reason: /descriptor 2: next index 9 is not below 8/,
  },
  {
    name: 'an avail index that jumps by more than num',
    build: (q) => {
      q.ring.setDesc(0, 0x1000, 4, W, 0);
      q.ring.setAvailIdx(NUM + 1);
    },
    reason: /avail index jumped from 0 to 9 \(9 buffers outstanding in a 8-entry ring\)/,
  },
  {
    name: 'an avail index that runs backwards (65535 outstanding)',
    build: (q) => q.ring.setAvailIdx(0xffff),
    reason: /avail index jumped from 0 to 65535/,
  },
  {
    name: 'a buffer that runs past guest memory',
    build: (q, guest) => {
      q.ring.setDesc(0, guest.bus.limit - 4, 8, W, 0);
      q.publish(0);
    },
    reason: (guest) =>
      `descriptor 0: buffer 0x${(guest.bus.limit - 4).toString(16)}+0x8 is outside guest memory`,
  },
  {
    name: 'a buffer that wraps around 2^32',
    build: (q) => {
      q.ring.setDesc(1, 0xffff_fff0, 0x20, W, 0);
      q.publish(1);
    },
    reason: /descriptor 1: buffer 0xfffffff0\+0x20 is outside guest memory/,
  },
  {
    name: 'a buffer address above 4 GiB (high word set)',
    build: (q) => {
      q.ring.setDesc(0, 0x1_0000_1000, 4, 0, 0);
      q.publish(0);
    },
    reason: /buffer 0x100001000\+0x4 is outside guest memory/,
  },
  {
    name: 'a huge length',
    build: (q) => {
      q.ring.setDesc(0, 0x1000, 0xffff_ffff, W, 0);
      q.publish(0);
    },
    reason: /buffer 0x1000\+0xffffffff is outside guest memory/,
  },
  {
    name: 'a readable buffer after a writable one',
    build: (q) => {
      q.ring.setDesc(0, 0x1000, 4, W | N, 5);
      q.ring.setDesc(5, 0x2000, 4, N, 6);
      q.ring.setDesc(6, 0x3000, 4, W, 0);
      q.publish(0);
    },
    reason: /descriptor 5: readable buffer after a writable one in the chain from head 0/,
  },
  {
    name: 'an indirect table without INDIRECT_DESC negotiated',
    accept: 0,
    build: (q, guest) => {
      const t = table(guest, 2);
      t.view.setDesc(0, 0x1000, 4, W, 0);
      q.ring.setDesc(0, t.gpa, 16, I, 0);
      q.publish(0);
    },
    reason: /descriptor 0 is INDIRECT but INDIRECT_DESC was not negotiated/,
  },
  {
    name: 'an indirect table whose length is not a multiple of 16',
    build: (q, guest) => {
      const t = table(guest, 2);
      q.ring.setDesc(0, t.gpa, 20, I, 0);
      q.publish(0);
    },
    reason: /descriptor 0: indirect table length 20 is not a non-zero multiple of 16/,
  },
  {
    name: 'an empty indirect table',
    build: (q, guest) => {
      q.ring.setDesc(0, table(guest, 1).gpa, 0, I, 0);
      q.publish(0);
    },
    reason: /indirect table length 0 /,
  },
  {
    name: 'an indirect table outside guest memory',
    build: (q) => {
      q.ring.setDesc(0, 0xffff_fff0, 32, I, 0);
      q.publish(0);
    },
    reason: /indirect table 0xfffffff0\+0x20 is outside guest memory/,
  },
  {
    name: 'an indirect table with more entries than the ring',
    build: (q, guest) => {
      q.ring.setDesc(0, table(guest, NUM + 1).gpa, 16 * (NUM + 1), I, 0);
      q.publish(0);
    },
    reason: /indirect table of 9 descriptors makes the chain longer than 8/,
  },
  {
    name: 'direct buffers plus an indirect table longer than num',
    build: (q, guest) => {
      q.ring.setDesc(0, 0x1000, 4, N, 1);
      q.ring.setDesc(1, 0x1000, 4, N, 2);
      q.ring.setDesc(2, table(guest, 7).gpa, 16 * 7, I, 0);
      q.publish(0);
    },
    reason: /descriptor 2: indirect table of 7 descriptors makes the chain longer than 8/,
  },
  {
    name: 'a nested indirect table',
    build: (q, guest) => {
      const outer = table(guest, 2);
      const inner = table(guest, 1);
      outer.view.setDesc(0, 0x1000, 4, N, 1);
      outer.view.setDesc(1, inner.gpa, 16, I, 0);
      q.ring.setDesc(0, outer.gpa, 32, I, 0);
      q.publish(0);
    },
    reason: /indirect descriptor 1 of head 0 is a nested indirect table/,
  },
  {
    name: 'an indirect descriptor that also has NEXT',
    build: (q, guest) => {
      q.ring.setDesc(0, table(guest, 1).gpa, 16, I | N, 1);
      q.publish(0);
    },
    reason: /descriptor 0 is INDIRECT and also has NEXT/,
  },
  {
    name: 'a loop inside an indirect table',
    build: (q, guest) => {
      const t = table(guest, 3);
      t.view.setDesc(0, 0x1000, 4, N, 1);
      t.view.setDesc(1, 0x1000, 4, N, 0);
      q.ring.setDesc(0, t.gpa, 48, I, 0);
      q.publish(0);
    },
    reason: /looped descriptor chain from head 0: more than 3 descriptors in its indirect table/,
  },
  {
    name: 'a next index beyond the indirect table',
    build: (q, guest) => {
      const t = table(guest, 2);
      t.view.setDesc(0, 0x1000, 4, N, 2);
      q.ring.setDesc(0, t.gpa, 32, I, 0);
      q.publish(0);
    },
    reason: /indirect descriptor 0 of head 0: next index 2 is not below 2/,
  },
  {
    name: 'an indirect buffer outside guest memory',
    build: (q, guest) => {
      const t = table(guest, 1);
      t.view.setDesc(0, 0x1_0000_0000, 1, W, 0);
      q.ring.setDesc(0, t.gpa, 16, I, 0);
      q.publish(0);
    },
    reason: /indirect descriptor 0 of head 0: buffer 0x100000000\+0x1 is outside guest memory/,
  },
];

describe('a hostile guest', () => {
  // The bystander: another guest in the same process, with its own console.
  const output: string[] = [];
  const console = new ConsoleDevice({ output: (chunk) => output.push(Buffer.from(chunk).toString()) });
  const bystander = new TestGuest([console]);
  const [bystanderConsole] = bystander.probeAll();
  const tx = bystanderConsole.queue(1);

  it.each(cases)('is killed for $name', ({ accept, build, reason }) => {
    const device = new RecordingDevice({ queues: [NUM], features: INDIRECT });
    const guest = new TestGuest([device]);
    const [d] = guest.probeAll(() => accept ?? INDIRECT);
    const q = d.queue(0);
    expect(() => {
      build(q, guest);
      q.kick(true);
    }).not.toThrow();
    expect(guest.dead).toBe(true);
    const expected = typeof reason === 'function' ? reason(guest) : reason;
    if (typeof expected === 'string') expect(guest.reason).toContain(expected);
    else expect(guest.reason).toMatch(expected);
    expect(device.chains).toEqual([]); // the device never saw the malformed chain
    // A dead guest's later kicks are ignored, and nothing is completed for it.
    expect(() => q.kick(true)).not.toThrow();
    expect(q.ring.usedIdx()).toBe(0);

    // The other guest carries on.
    tx.post([new TextEncoder().encode(`ok ${output.length}\n`)]);
    tx.kick();
    expect(tx.takeUsed()).toHaveLength(1);
    expect(bystander.dead).toBe(false);
  });

  it('left the bystander printing throughout', () => {
    expect(output).toHaveLength(cases.length);
    expect(output.at(-1)).toBe(`ok ${cases.length - 1}\n`);
  });
});

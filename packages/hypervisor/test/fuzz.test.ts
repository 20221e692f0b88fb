/**
 * Seeded fuzzing from the test side: random hypercall numbers and arguments (biased towards the real
 * calls and towards interesting values: descriptor words, IDT types, GDT indexes, addresses near the
 * limits), and random bytes as code. Every run must end in a death with a reason, an idle halt, or
 * an exhausted budget — never a host exception — and the Host must keep refusing to run a dead guest.
 * An interrupt storm from outside the guest runs alongside.
 */
import { LGUEST_DATA_LAYOUT, LHCALL_LGUEST_INIT } from '@lguest/abi';
import { type RunResult, VirtualClock } from '@lguest/hypervisor';
import { describe, expect, it } from 'vitest';
import { Asm, asmGuest, CODE_GPA, DATA_GPA, initCode, random } from './asm.js';

const INTERESTING = [
  0,
  1,
  2,
  3,
  8,
  0x1f,
  0x20,
  0x61,
  0x68,
  0x69,
  0x7b,
  0x80,
  0xff,
  0x100,
  0x400,
  0x401,
  1024,
  1025,
  DATA_GPA,
  CODE_GPA,
  0x1000,
  0x1fffff,
  0x200000,
  0x40000000,
  0xc0000000,
  0xffc00000,
  0xfffff000,
  0xfffffff0,
  0xffffffff,
  0x00cf9a00,
  0x00cffa00,
  0x0000ffff,
  0x8e00,
  0x8f00,
  0x8500,
  0xee00,
  0xef00,
  0x00008e00,
];

function pick(next: () => number): number {
  const r = next();
  if (r % 3 === 0) return INTERESTING[(r >>> 8) % INTERESTING.length];
  if (r % 3 === 1) return (r >>> 4) & 0xff;
  return next();
}

/** Instructions per fuzz run, in total. */
const BUDGET = 1_000_000;
/**
 * Random code often stores into its own page (`add [eax], al` over zeroed memory), which the CPU
 * executes slowly (every store invalidates decoded code): a smaller bound keeps the suite quick.
 */
const CODE_BUDGET = 50_000;

/**
 * Builds a guest from `build` (after a valid INIT unless `init` is false), then runs it on a virtual
 * clock in slices of 5000 instructions, raising a random IRQ line (some outside 0..31) between slices
 * — an interrupt storm on top of whatever the guest does.
 */
function runBounded(seed: number, build: (a: Asm, next: () => number) => void, budget = BUDGET, init = true) {
  const next = random(seed);
  const code = init
    ? initCode()
        .store(DATA_GPA + LGUEST_DATA_LAYOUT.irqEnabled.offset, 0x200)
        .store(DATA_GPA + LGUEST_DATA_LAYOUT.blockedInterrupts.offset, 0)
    : new Asm();
  build(code, next);
  code.spin();
  let instructions = 0;
  const guest = asmGuest(code, { clock: new VirtualClock({ instructions: () => instructions }) });
  const vcpu = guest.vcpu;
  let result: RunResult = { kind: 'budget' };
  while (vcpu.instructions < budget) {
    instructions = vcpu.instructions;
    const irq = next() % 40;
    expect(vcpu.raiseIrq(irq)).toBe(irq < 32);
    result = vcpu.run({ budget: Math.min(5000, budget - vcpu.instructions) });
    if (result.kind !== 'budget' && result.kind !== 'notify') break;
  }
  return { guest, result };
}

describe('random hypercalls', () => {
  for (let seed = 1; seed <= 40; seed++) {
    it(`seed ${seed}`, () => {
      const { guest, result } = runBounded(seed, (a, next) => {
        for (let i = 0; i < 200; i++) {
          const r = next();
          const call = r % 5 === 0 ? next() : (r >>> 8) % 21;
          a.hcall(call, pick(next), pick(next), pick(next), pick(next));
        }
      });
      expect(['dead', 'idle', 'budget', 'restart']).toContain(result.kind);
      if (result.kind === 'dead') expect(result.reason.length).toBeGreaterThan(0);
      if (guest.dead) expect(guest.vcpu.run().kind).toMatch(/dead|restart/);
    });
  }
});

describe('random LGUEST_INIT pointers and lguest_data contents', () => {
  for (let seed = 200; seed < 220; seed++) {
    it(`seed ${seed}`, () => {
      const { guest, result } = runBounded(
        seed,
        (a, next) => {
          // Spoil lguest_data's static fields, then INIT with a random or real pointer.
          if (next() & 1) a.store(DATA_GPA + LGUEST_DATA_LAYOUT.syscallVec.offset, pick(next));
          if (next() & 1) a.store(DATA_GPA + LGUEST_DATA_LAYOUT.kernelAddress.offset, pick(next));
          if (next() & 1) a.store(DATA_GPA + LGUEST_DATA_LAYOUT.noirqEnd.offset, pick(next));
          a.hcall(LHCALL_LGUEST_INIT, next() & 1 ? DATA_GPA : pick(next));
          for (let i = 0; i < 50; i++)
            a.hcall((next() >>> 8) % 21, pick(next), pick(next), pick(next), pick(next));
        },
        BUDGET,
        false,
      );
      expect(['dead', 'idle', 'budget', 'restart']).toContain(result.kind);
      if (guest.lguestData === undefined) expect(guest.dead).toBe(true);
    });
  }
});

describe('random bytes as code at CPL 1', () => {
  for (let seed = 100; seed < 130; seed++) {
    it(`seed ${seed}`, () => {
      const { guest, result } = runBounded(
        seed,
        (a, next) => {
          // A few gates so some faults are reflected into the random code rather than killing at once.
          for (const v of [0, 3, 6, 13, 14])
            a.hcall(6, v, 0x00610000 | (CODE_GPA & 0xffff), 0x8e00 | (next() & 0x100));
          for (let i = 0; i < 1024; i++) a.raw(next() & 0xff);
        },
        CODE_BUDGET,
      );
      expect(['dead', 'idle', 'budget', 'restart']).toContain(result.kind);
      expect(guest.vcpu.instructions).toBeLessThanOrEqual(CODE_BUDGET);
    });
  }
});

describe('an interrupt storm from outside', () => {
  it('delivers every line raised at random to a guest that keeps taking them', () => {
    const handler = CODE_GPA + 0x800;
    const code = initCode()
      .store(DATA_GPA + LGUEST_DATA_LAYOUT.irqEnabled.offset, 0x200)
      .store(DATA_GPA + LGUEST_DATA_LAYOUT.blockedInterrupts.offset, 0);
    for (let v = 0x20; v < 0x40; v++) {
      code.hcall(6, v, 0x0061_0000 | (handler & 0xffff), (handler & 0xffff_0000) | 0x8e00);
    }
    const loop = code.here;
    code.hcall(19); // SEND_INTERRUPTS
    code.raw(0x90, 0x90, 0x90, 0xeb, (loop - (code.here + 2)) & 0xff);
    while (code.here < handler) code.raw(0x90);
    // inc dword [0x3000]; irq_enabled = 0x200; iret
    code
      .raw(0xff, 0x05)
      .imm32(0x3000)
      .store(DATA_GPA + LGUEST_DATA_LAYOUT.irqEnabled.offset, 0x200)
      .raw(0xcf);
    const guest = asmGuest(code);
    const vcpu = guest.vcpu;
    const next = random(7);
    for (let i = 0; i < 3000; i++) {
      vcpu.raiseIrq(next() % 32);
      expect(vcpu.run({ budget: 300 })).toEqual({ kind: 'budget' });
    }
    expect(vcpu.run({ budget: 20_000 })).toEqual({ kind: 'budget' });
    expect(guest.dead).toBe(false);
    expect(vcpu.pendingIrqs).toBe(0);
    expect(vcpu.interruptsDelivered).toBeGreaterThan(2000);
    expect(guest.memory.read32(0x3000)).toBe(vcpu.interruptsDelivered);
  });
});

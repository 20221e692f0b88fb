/**
 * The Host-test guests of tools/guests (their programs are documented in tools/guests/README.md):
 * each must print exactly its `.expected` text, ending with the Launcher's death line, and leave the
 * Host in the state its checks imply.
 */
import { readFileSync } from 'node:fs';
import { LGUEST_DATA_LAYOUT } from '@lguest/abi';
import type { Guest } from '@lguest/hypervisor';
import { describe, expect, it } from 'vitest';
import { bootGuest, runGuest } from './boot.js';

function expected(program: string): string {
  return readFileSync(
    new URL(`../../../tools/guests/programs/lguest/${program}.expected`, import.meta.url),
    'utf8',
  );
}

/** Host state each program must leave behind, beyond its console text. */
const HOST_STATE: Record<string, (guest: Guest) => void> = {
  hello: (g) => {
    expect(g.lguestData).toBeDefined();
    expect(g.mmu.linear).toBe(true);
  },
  hcalls: (g) => {
    // Five directories were loaded; the shadow cache keeps four.
    expect(g.mmu.linear).toBe(false);
    expect(g.mmu.cachedPgdirs.filter((d) => d !== undefined).length).toBe(4);
    expect(g.vcpu.pages.ss1).toBe(0x69);
  },
  'async-ring': (g) => {
    const data = g.lguestData;
    expect(data).toBeDefined();
    for (let i = 0; i < 64; i++) expect(data?.hcallStatus(i)).toBe(0xff);
    expect(g.vcpu.nextHcall).toBeGreaterThan(0);
  },
  traps: (g) => expect(g.vcpu.exits).toBeGreaterThan(38),
  usermode: (g) => {
    expect(g.mmu.stack.pages).toBe(2);
    // GDT entry 14 was given DPL 3 and kept it; the accessed bit is preset.
    expect((g.vcpu.pages.gdt[29] >>> 8) & 0x71).toBe(0x71);
  },
  fpu: (g) => expect(g.vcpu.hypercalls).toBeGreaterThan(10),
  irqs: (g) => {
    expect(g.vcpu.interruptsDelivered).toBeGreaterThanOrEqual(8);
    expect(g.vcpu.clockDeadline).toBe(Number.POSITIVE_INFINITY);
    expect(g.memory.read32((g.lguestData?.gpa ?? 0) + LGUEST_DATA_LAYOUT.irqPending.offset)).toBe(0);
  },
};

describe('the Host-test guests print exactly their .expected output', () => {
  for (const program of [
    'hello',
    'selftest',
    'hcalls',
    'async-ring',
    'traps',
    'emulation',
    'usermode',
    'fpu',
    'irqs',
    'shutdown-long',
  ]) {
    it(program, () => {
      const guest = bootGuest(`lguest-${program}`);
      const run = runGuest(guest);
      expect(run.transcript).toBe(expected(program));
      expect(guest.dead).toBe(true);
      HOST_STATE[program]?.(guest);
    });
  }
});

/**
 * The hostile-guest suite: each `hostile-*` program from tools/guests must end in a death with a
 * reason naming the offending value (spec Appendix A) or a correct result — never a host exception
 * or a hang (every run is bounded in instructions). Seeded random hypercalls and random code made by
 * the tests themselves are in `fuzz.test.ts`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bootGuest, runGuest } from './boot.js';

function expectedConsole(program: string): string {
  return readFileSync(
    new URL(`../../../tools/guests/programs/lguest/${program}.expected`, import.meta.url),
    'utf8',
  );
}

const DEATHS: [string, RegExp][] = [
  ['before-init', /^hypercall 17 before INIT$/],
  ['bad-lguest-data', /^bad guest page 0xfffff000$/],
  ['syscall-vector', /^bad syscall vector 0x81$/],
  ['kernel-address', /^bad kernel address 0xfffff000$/],
  ['double-init', /^already have lguest_data$/],
  ['bad-hcall', /^Bad hypercall 3$/],
  ['set-pmd', /^Bad hypercall 13$/],
  ['random-hcall', /^Bad hypercall 4239993703$/],
  ['stack-segment', /^bad stack segment 0x0*68$/],
  ['stack-pages', /^bad stack pages 3$/],
  ['stack-page', /bad stack page|bad page table entry/],
  ['frame-push', /0xeffffffc/],
  ['unhandled-trap', /^unhandled trap 6 at 0x[0-9a-f]+ \(0x0\)$/],
  ['idt-type', /^bad IDT type 5 for vector 48/],
  ['idt-vector', /^Setting idt entry 256$/],
  ['gdt-index', /^too many gdt entries 32$/],
  ['tls-range', /0xfffffff0/],
  ['shutdown-end', /out of range at 0x3fffc0 \(128 bytes\)/],
  ['bad-pte', /bad page table entry/],
  ['bad-pde', /bad page directory entry/],
  ['set-pte-switcher', /attempt to set pte into Switcher pages/],
  ['set-pgd-index', /1025/],
];

describe('hostile guests die with the documented reason', () => {
  for (const [program, reason] of DEATHS) {
    it(program, () => {
      const guest = bootGuest(`lguest-hostile-${program}`);
      const run = runGuest(guest, 50_000_000);
      expect(run.result.kind).toBe('dead');
      expect(guest.death.reason).toMatch(reason);
      expect(run.console).toBe(expectedConsole(`hostile-${program}`));
      // Dead means dead: another run does not enter the guest.
      const before = guest.vcpu.instructions;
      expect(guest.vcpu.run()).toEqual({ kind: 'dead', reason: guest.death.reason });
      expect(guest.vcpu.instructions).toBe(before);
    });
  }

  it('irq-storm: 2000 clock interrupts 100 ns apart are all taken', () => {
    const run = runGuest(bootGuest('lguest-hostile-irq-storm'), 200_000_000);
    expect(run.transcript).toBe(expectedConsole('hostile-irq-storm'));
  });

  it('hcall-fuzz: 10000 random hypercalls end in a reason or power-off', () => {
    const run = runGuest(bootGuest('lguest-hostile-hcall-fuzz'), 200_000_000);
    expect(run.result.kind).toBe('dead');
    expect(run.console.startsWith(expectedConsole('hostile-hcall-fuzz'))).toBe(true);
  });

  it('random-code: random bytes at CPL 1 end in a death or run out of budget', () => {
    const run = runGuest(bootGuest('lguest-hostile-random-code'), 20_000_000);
    expect(['dead', 'budget', 'idle']).toContain(run.result.kind);
    expect(run.console).toBe(expectedConsole('hostile-random-code'));
  });
});

import {
  DeathRecord,
  GuestMemory,
  LGUEST_CS_HI,
  LGUEST_REG_CS,
  LGUEST_REG_EAX,
  LGUEST_REG_EBX,
  LGUEST_REG_EFLAGS,
  LGUEST_REG_EIP,
  LGUEST_REG_ERRCODE,
  LGUEST_REG_ESP,
  LGUEST_REG_TRAPNUM,
  LGUEST_TRAP_ENTERING_GUEST,
} from '@lguest/abi';
import { ShadowMmu } from '@lguest/mmu';
import {
  CHANGED_GDT,
  CHANGED_IDT,
  isDirectTrap,
  LguestPages,
  RUN_BUDGET,
  RUN_STOP,
  RUN_TRAP,
  Switcher,
} from '@lguest/switcher';
import { CONTROL_STOP } from '@lguest/x86';
import { describe, expect, it } from 'vitest';

const CODE = 0x1000;

/** A switcher over 1 MiB in linear mode with `code` at gpa 0x1000 and a stack below 0x8000. */
function machine(code: number[], directTraps = true) {
  const memory = new GuestMemory(new ArrayBuffer(1 << 20));
  memory.bytes.set(code, CODE);
  const killer = new DeathRecord();
  const mmu = new ShadowMmu({ memory, killer });
  const control = new Int32Array(new SharedArrayBuffer(16));
  const switcher = new Switcher({ memory, mmu, control, directTraps });
  const pages = new LguestPages(CODE);
  pages.regs[LGUEST_REG_ESP] = 0x8000;
  /** Runs, demand-paging #PF exits the way the Host would, until a non-#PF outcome. */
  const run = (budget = 10_000) => {
    for (;;) {
      const outcome = switcher.runGuestOnce(pages, budget);
      if (outcome !== RUN_TRAP || pages.regs[LGUEST_REG_TRAPNUM] !== 14) return outcome;
      if (!mmu.demandPage(pages.cr2, pages.regs[LGUEST_REG_ERRCODE])) return outcome;
    }
  };
  return { memory, mmu, switcher, pages, control, run, killer };
}

/** A present gate for `handler` at gpa/va `handler`, of `type` (0xE interrupt, 0xF trap) and DPL. */
function gate(pages: LguestPages, vector: number, handler: number, type: number, dpl = 0): void {
  pages.idt[vector * 2] = (0x0061_0000 | (handler & 0xffff)) >>> 0;
  pages.idt[vector * 2 + 1] = ((handler & 0xffff_0000) | 0x8000 | (dpl << 13) | (type << 8)) >>> 0;
  pages.changed |= CHANGED_IDT;
}

describe('isDirectTrap (§6.5)', () => {
  const trap = 0x8f00;
  const intr = 0x8e00;
  it('lets trap gates below 32 and the syscall vector through, except 7, 13, 14 and 0x1F', () => {
    expect(isDirectTrap(0, trap, 0x80)).toBe(true);
    expect(isDirectTrap(3, trap, 0x80)).toBe(true);
    expect(isDirectTrap(0x80, trap | 0x6000, 0x80)).toBe(true);
    for (const v of [7, 13, 14, 0x1f]) expect(isDirectTrap(v, trap, 0x80)).toBe(false);
    expect(isDirectTrap(0x81, trap, 0x80)).toBe(false);
    expect(isDirectTrap(0x20, trap, 0x80)).toBe(false);
    expect(isDirectTrap(3, intr, 0x80)).toBe(false);
    expect(isDirectTrap(3, trap & ~0x8000, 0x80)).toBe(false);
  });
});

describe('runGuestOnce', () => {
  it('comes back from a hypercall with its vector, eip after it and the registers', () => {
    // mov eax, 7; mov ebx, 0x1234; int 0x1f
    const m = machine([0xb8, 7, 0, 0, 0, 0xbb, 0x34, 0x12, 0, 0, 0xcd, 0x1f]);
    expect(m.run()).toBe(RUN_TRAP);
    const regs = m.pages.regs;
    expect(regs[LGUEST_REG_TRAPNUM]).toBe(0x1f);
    expect(regs[LGUEST_REG_EIP]).toBe(CODE + 12);
    expect(regs[LGUEST_REG_EAX]).toBe(7);
    expect(regs[LGUEST_REG_EBX]).toBe(0x1234);
    expect(regs[LGUEST_REG_CS]).toBe(0x61);
    expect(m.switcher.trapExits).toBeGreaterThan(0);
  });

  it('reports the #PF of a page not yet shadowed with its CR2', () => {
    const m = machine([0xcd, 0x1f]);
    expect(m.switcher.runGuestOnce(m.pages, 100)).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_TRAPNUM]).toBe(14);
    expect(m.pages.cr2).toBe(CODE);
  });

  it('keeps the real IF at 1: cli at CPL 1 is a #GP(0) exit', () => {
    const m = machine([0xfa]);
    m.pages.regs[LGUEST_REG_EFLAGS] = 0x2;
    expect(m.run()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_TRAPNUM]).toBe(13);
    expect(m.pages.regs[LGUEST_REG_ERRCODE]).toBe(0);
    expect(m.pages.regs[LGUEST_REG_EFLAGS] & 0x200).toBe(0x200);
  });

  it('delivers a direct trap inside the CPU and exits for an interrupt gate', () => {
    // int3; then at 0x1100 the handler: int 0x1f
    const code = new Array(0x102).fill(0x90);
    code[0] = 0xcc;
    code[0x100] = 0xcd;
    code[0x101] = 0x1f;
    const m = machine(code);
    gate(m.pages, 3, CODE + 0x100, 0xf, 3);
    expect(m.run()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_TRAPNUM]).toBe(0x1f);
    expect(m.pages.regs[LGUEST_REG_EIP]).toBe(CODE + 0x102);
    // The CPU pushed the frame: eip after int3, cs, eflags with IF 1.
    expect(m.memory.read32(0x8000 - 12)).toBe(CODE + 1);
    expect(m.memory.read32(0x8000 - 8)).toBe(0x61);

    const n = machine(code);
    gate(n.pages, 3, CODE + 0x100, 0xe, 3);
    expect(n.run()).toBe(RUN_TRAP);
    expect(n.pages.regs[LGUEST_REG_TRAPNUM]).toBe(3);
    expect(n.pages.regs[LGUEST_REG_EIP]).toBe(CODE + 1);

    // With direct traps switched off the same trap gate exits too.
    const o = machine(code, false);
    gate(o.pages, 3, CODE + 0x100, 0xf, 3);
    expect(o.run()).toBe(RUN_TRAP);
    expect(o.pages.regs[LGUEST_REG_TRAPNUM]).toBe(3);
  });

  it('keeps the guest DPL on exit gates: int n through a DPL 0 gate is #GP(n*8+2)', () => {
    const m = machine([0xcd, 0x40]);
    gate(m.pages, 0x40, CODE, 0xe, 0);
    expect(m.run()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_TRAPNUM]).toBe(13);
    expect(m.pages.regs[LGUEST_REG_ERRCODE]).toBe(0x40 * 8 + 2);
  });

  it('stops for the control block and for a spent budget, never as a vector', () => {
    const m = machine([0xeb, 0xfe]);
    expect(m.run(1000)).toBe(RUN_BUDGET);
    Atomics.store(m.control, CONTROL_STOP, 1);
    expect(m.switcher.runGuestOnce(m.pages, 1000)).toBe(RUN_STOP);
    Atomics.store(m.control, CONTROL_STOP, 0);
    expect(m.switcher.runGuestOnce(m.pages, 1000)).toBe(RUN_BUDGET);
  });

  it('reports trap 256 when the frame cannot be entered', () => {
    const m = machine([0x90]);
    m.pages.regs[LGUEST_REG_CS] = 0x73; // user code: GDT entry 14 is empty
    expect(m.switcher.runGuestOnce(m.pages, 10)).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_TRAPNUM]).toBe(LGUEST_TRAP_ENTERING_GUEST);
  });

  it('copies only what changed, and never the host-owned entries', () => {
    const m = machine([0xeb, 0xfe]);
    m.run(10);
    m.pages.gdt[14 * 2] = 0xffff;
    m.pages.gdt[14 * 2 + 1] = 0x00cf_fb00;
    m.pages.gdt[10 * 2 + 1] = 0;
    m.switcher.runGuestOnce(m.pages, 10);
    expect(m.switcher.tables.gdt[14 * 2 + 1]).toBe(0);
    m.pages.changed |= CHANGED_GDT;
    m.switcher.runGuestOnce(m.pages, 10);
    expect(m.switcher.tables.gdt[14 * 2 + 1] >>> 0).toBe(0x00cf_fb00);
    expect(m.switcher.tables.gdt[10 * 2 + 1] >>> 0).toBe(LGUEST_CS_HI);
  });

  it('makes FPU instructions raise #NM while the guest TS flag is set', () => {
    const m = machine([0xd9, 0xd0]); // fnop
    m.pages.ts = true;
    expect(m.run()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_TRAPNUM]).toBe(7);
    m.pages.ts = false;
    expect(m.run(1)).toBe(RUN_BUDGET);
    expect(m.pages.regs[LGUEST_REG_EIP]).toBe(CODE + 2);
  });
});

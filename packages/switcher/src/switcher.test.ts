import {
  DeathRecord,
  GuestMemory,
  LGUEST_CS_HI,
  LGUEST_REG_CS,
  LGUEST_REG_DS,
  LGUEST_REG_EAX,
  LGUEST_REG_EBX,
  LGUEST_REG_EFLAGS,
  LGUEST_REG_EIP,
  LGUEST_REG_ERRCODE,
  LGUEST_REG_ESP,
  LGUEST_REG_SS,
  LGUEST_REG_TRAPNUM,
  LGUEST_TRAP_ENTERING_GUEST,
} from '@lguest/abi';
import { ShadowMmu } from '@lguest/mmu';
import {
  CHANGED_GDT,
  CHANGED_GDT_TLS,
  CHANGED_IDT,
  isDirectTrap,
  LguestPages,
  RUN_BUDGET,
  RUN_STOP,
  RUN_TRAP,
  Switcher,
} from '@lguest/switcher';
import { CONTROL_STOP, SEG_DS } from '@lguest/x86';
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

/** GDT entry `index` of `pages`: a byte-granular DPL-1 data segment at `base`. */
function dataEntry(pages: LguestPages, index: number, base: number): void {
  pages.gdt[index * 2] = ((base & 0xffff) << 16) | 0x0fff;
  pages.gdt[index * 2 + 1] = ((base >>> 16) & 0xff) | (base & 0xff00_0000) | 0x0040_b300;
}

describe('what the Host changed takes effect', () => {
  // mov eax, [0]; int 0x1f — reads through DS whatever it is.
  const READ_DS = [0xa1, 0, 0, 0, 0, 0xcd, 0x1f];

  it('a LOAD_GDT_ENTRY under the loaded DS at the next entry', () => {
    const m = machine(READ_DS);
    m.memory.write32(0x3000, 0x1111);
    m.memory.write32(0x4000, 0x2222);
    dataEntry(m.pages, 15, 0x3000);
    m.pages.changed |= CHANGED_GDT;
    m.pages.regs[LGUEST_REG_DS] = (15 << 3) | 1;
    expect(m.run()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_EAX]).toBe(0x1111);
    // Same selector in the frame, new descriptor: the entry is decoded again.
    dataEntry(m.pages, 15, 0x4000);
    m.pages.changed |= CHANGED_GDT;
    m.pages.regs[LGUEST_REG_EIP] = CODE;
    expect(m.run()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_EAX]).toBe(0x2222);
  });

  it("a LOAD_TLS at the guest's next segment load and at the next entry", () => {
    // mov ax, 0x31 (TLS entry 6, RPL 1); mov ds, ax; mov eax, [0]; int 0x1f
    const m = machine([0x66, 0xb8, 0x31, 0, 0x8e, 0xd8, ...READ_DS]);
    m.memory.write32(0x3000, 0x1111);
    m.memory.write32(0x5000, 0x3333);
    dataEntry(m.pages, 6, 0x3000);
    m.pages.changed |= CHANGED_GDT_TLS;
    expect(m.run()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_EAX]).toBe(0x1111);
    expect(m.pages.regs[LGUEST_REG_DS]).toBe(0x31);
    dataEntry(m.pages, 6, 0x5000);
    m.pages.changed |= CHANGED_GDT_TLS;
    m.pages.regs[LGUEST_REG_EIP] = CODE;
    expect(m.run()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_EAX]).toBe(0x3333);
    // Entering with DS 0x31 already (the `mov ds` skipped) sees the new base too.
    dataEntry(m.pages, 6, 0x3000);
    m.pages.changed |= CHANGED_GDT_TLS;
    m.pages.regs[LGUEST_REG_EIP] = CODE + 6;
    expect(m.run()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_EAX]).toBe(0x1111);
  });

  it('an IDT entry at the next delivery, and a gate that stops being a direct trap exits', () => {
    // int 0x80; the handlers at +0x100 and +0x200 are mov eax, 1 / mov eax, 2; int 0x1f.
    const code = new Array(0x208).fill(0x90);
    code.splice(0, 2, 0xcd, 0x80);
    code.splice(0x100, 7, 0xb8, 1, 0, 0, 0, 0xcd, 0x1f);
    code.splice(0x200, 7, 0xb8, 2, 0, 0, 0, 0xcd, 0x1f);
    const m = machine(code.slice(0, 0x208));
    const again = () => {
      m.pages.regs[LGUEST_REG_EIP] = CODE;
      m.pages.regs[LGUEST_REG_ESP] = 0x8000;
      return m.run();
    };
    gate(m.pages, 0x80, CODE + 0x100, 0xf, 3);
    expect(again()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_TRAPNUM]).toBe(0x1f);
    expect(m.pages.regs[LGUEST_REG_EAX]).toBe(1);
    gate(m.pages, 0x80, CODE + 0x200, 0xf, 3);
    expect(again()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_EAX]).toBe(2);
    // An interrupt gate is never direct: now vector 0x80 exits, with EIP after the int.
    gate(m.pages, 0x80, CODE + 0x200, 0xe, 3);
    expect(again()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_TRAPNUM]).toBe(0x80);
    expect(m.pages.regs[LGUEST_REG_EIP]).toBe(CODE + 2);
    // And back to a trap gate: direct again.
    gate(m.pages, 0x80, CODE + 0x100, 0xf, 3);
    expect(again()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_TRAPNUM]).toBe(0x1f);
    expect(m.pages.regs[LGUEST_REG_EAX]).toBe(1);
    // A gate the IDT-change flag does not announce is not copied (the Host always sets it).
    gate(m.pages, 0x80, CODE + 0x200, 0xf, 3);
    m.pages.changed = 0;
    expect(again()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_EAX]).toBe(1);
  });

  it('a new syscall vector redoes which gates are direct', () => {
    const code = new Array(0x108).fill(0x90);
    code.splice(0, 2, 0xcd, 0x81);
    code.splice(0x100, 7, 0xb8, 1, 0, 0, 0, 0xcd, 0x1f);
    const m = machine(code);
    gate(m.pages, 0x81, CODE + 0x100, 0xf, 3);
    expect(m.run()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_TRAPNUM]).toBe(0x81);
    m.pages.syscallVector = 0x81;
    m.pages.changed |= CHANGED_IDT;
    m.pages.regs[LGUEST_REG_EIP] = CODE;
    expect(m.run()).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_TRAPNUM]).toBe(0x1f);
    expect(m.pages.regs[LGUEST_REG_EAX]).toBe(1);
  });
});

describe('segment registers across entries', () => {
  it('checks a data selector again when the CPL moves: nulled at CPL 3, usable at CPL 1 again', () => {
    const m = machine([0xa1, 0, 0, 0, 0, 0xcd, 0x1f]); // mov eax, [0]; int 0x1f
    m.memory.write32(0, 0x5a5a);
    m.pages.gdt[14 * 2] = 0xffff;
    m.pages.gdt[14 * 2 + 1] = 0x00cf_fb00; // 0x73: user code
    m.pages.gdt[15 * 2] = 0xffff;
    m.pages.gdt[15 * 2 + 1] = 0x00cf_f300; // 0x7B: user data
    m.pages.changed |= CHANGED_GDT;
    /** Enters with the kernel's data selector in DS; a budget of 0 only loads the registers. */
    const enter = (cs: number, ss: number, budget: number) => {
      m.pages.regs[LGUEST_REG_CS] = cs;
      m.pages.regs[LGUEST_REG_SS] = ss;
      m.pages.regs[LGUEST_REG_DS] = 0x69; // DPL 1
      m.pages.regs[LGUEST_REG_EIP] = CODE;
      m.pages.regs[LGUEST_REG_ESP] = 0x8000;
      return budget === 0 ? m.switcher.runGuestOnce(m.pages, 0) : m.run(budget);
    };
    const ds = () => m.switcher.cpu.getSegment(SEG_DS);
    expect(enter(0x61, 0x69, 10_000)).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_EAX]).toBe(0x5a5a);
    // The same frame at CPL 3: DS keeps its selector but is null (as an iret would leave it).
    expect(enter(0x73, 0x7b, 0)).toBe(RUN_BUDGET);
    expect(ds()).toMatchObject({ selector: 0x69, attributes: 0 });
    // Back at CPL 1 (the Host delivering a trap from user mode): usable again.
    expect(enter(0x61, 0x69, 0)).toBe(RUN_BUDGET);
    expect(ds().attributes & 0x80).toBe(0x80);
    m.pages.regs[LGUEST_REG_EAX] = 0;
    expect(enter(0x61, 0x69, 10_000)).toBe(RUN_TRAP);
    expect(m.pages.regs[LGUEST_REG_TRAPNUM]).toBe(0x1f);
    expect(m.pages.regs[LGUEST_REG_EAX]).toBe(0x5a5a);
    // And out to CPL 3 once more: null again.
    expect(enter(0x73, 0x7b, 0)).toBe(RUN_BUDGET);
    expect(ds().attributes).toBe(0);
  });
});

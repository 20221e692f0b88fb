/**
 * Test support (not exported): a flat CPU over fresh guest memory, with machine code written at an
 * address and a run that stops at HLT. Tests describe programs as bytes with the assembly in comments.
 */
import { GuestMemory } from '@lguest/abi';
import { type Cpu, type CpuExit, createFlatCpu, type PortIo, REG_ESP } from './cpu.js';

/** Where test code is loaded, and the initial stack top. */
export const CODE = 0x1000;
export const STACK_TOP = 0x8000;

export interface Machine {
  cpu: Cpu;
  memory: GuestMemory;
  /** Runs until an exit (HLT ends with `{kind: 'halt'}`), at most `budget` instructions. */
  run(budget?: number): CpuExit;
}

/** A flat CPL-0 CPU with `code` at {@link CODE}, ESP at {@link STACK_TOP}. */
export function machine(
  code: readonly number[],
  options: { memBytes?: number; io?: PortIo; shared?: boolean } = {},
): Machine {
  const size = options.memBytes ?? 1 << 20;
  const buffer = options.shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
  const memory = new GuestMemory(buffer);
  memory.bytes.set(code, CODE);
  const cpu = createFlatCpu(memory, { io: options.io });
  cpu.eip = CODE;
  cpu.regs[REG_ESP] = STACK_TOP;
  return { cpu, memory, run: (budget = 100_000) => cpu.run(budget) };
}

/** Little-endian dword bytes. */
export function dd(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** Little-endian word bytes. */
export function dw(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff];
}

/** The two dwords of a code/data descriptor: `type` (4 bits), `dpl`, 32-bit, 4 KiB granular if `limit` > 1 MiB. */
export function descriptor(
  base: number,
  limit: number,
  type: number,
  dpl: number,
  system = false,
): [number, number] {
  let lim = limit >>> 0;
  let g = 0;
  if (lim > 0xf_ffff) {
    lim >>>= 12;
    g = 1;
  }
  const lo = ((base & 0xffff) << 16) | (lim & 0xffff);
  const s = system ? 0 : 1;
  const hi =
    ((base >>> 16) & 0xff) |
    ((type & 0xf) << 8) |
    (s << 12) |
    ((dpl & 3) << 13) |
    (1 << 15) |
    (lim & 0xf_0000) |
    ((system ? 0 : 1) << 22) |
    (g << 23) |
    (base & 0xff00_0000);
  return [lo | 0, hi | 0];
}

/** The two dwords of a 32-bit interrupt (`trap` false) or trap gate. */
export function gate(
  selector: number,
  offset: number,
  dpl: number,
  trap = false,
  present = true,
): [number, number] {
  const lo = ((selector & 0xffff) << 16) | (offset & 0xffff);
  const hi =
    (offset & 0xffff_0000) | ((present ? 1 : 0) << 15) | ((dpl & 3) << 13) | ((trap ? 0xf : 0xe) << 8);
  return [lo | 0, hi | 0];
}

/** Standard selectors of {@link protectedMachine}'s GDT. */
export const SEL = {
  code0: 0x08,
  data0: 0x10,
  code1: 0x19,
  data1: 0x21,
  code3: 0x2b,
  data3: 0x33,
  tss: 0x38,
} as const;

export const GDT_BASE = 0x500;
export const IDT_BASE = 0x800;
export const TSS_BASE = 0x400;

/**
 * A machine whose GDT (flat code/data for rings 0, 1 and 3, and a TSS) and IDT live in its memory, as
 * LGDT/LIDT/LTR would have set them up. The ring stacks in the TSS are ring 0: 0x7000, ring 1: 0x6000.
 */
export function protectedMachine(
  code: readonly number[],
  options: { io?: PortIo; shared?: boolean } = {},
): Machine {
  const m = machine(code, options);
  const mem = m.memory;
  const entries: [number, number][] = [
    [0, 0],
    descriptor(0, 0xffff_ffff, 0xb, 0),
    descriptor(0, 0xffff_ffff, 0x3, 0),
    descriptor(0, 0xffff_ffff, 0xb, 1),
    descriptor(0, 0xffff_ffff, 0x3, 1),
    descriptor(0, 0xffff_ffff, 0xb, 3),
    descriptor(0, 0xffff_ffff, 0x3, 3),
    descriptor(TSS_BASE, 0x67, 0xb, 0, true),
  ];
  entries.forEach(([lo, hi], i) => {
    mem.write32(GDT_BASE + i * 8, lo >>> 0);
    mem.write32(GDT_BASE + i * 8 + 4, hi >>> 0);
  });
  m.cpu.gdtr.base = GDT_BASE;
  m.cpu.gdtr.limit = entries.length * 8 - 1;
  m.cpu.idtr.base = IDT_BASE;
  m.cpu.idtr.limit = 256 * 8 - 1;
  m.cpu.tr.selector = SEL.tss;
  m.cpu.tr.base = TSS_BASE;
  m.cpu.tr.limit = 0x67;
  mem.write32(TSS_BASE + 4, 0x7000);
  mem.write32(TSS_BASE + 8, SEL.data0);
  mem.write32(TSS_BASE + 12, 0x6000);
  mem.write32(TSS_BASE + 16, SEL.data1);
  mem.write16(TSS_BASE + 0x66, 0x68 + 0x10); // I/O bitmap offset (beyond the limit: no bitmap)
  return m;
}

/** Installs IDT gate `vector` in a {@link protectedMachine}'s memory. */
export function setGate(m: Machine, vector: number, g: [number, number]): void {
  m.memory.write32(IDT_BASE + vector * 8, g[0] >>> 0);
  m.memory.write32(IDT_BASE + vector * 8 + 4, g[1] >>> 0);
}

/**
 * Code that enters `ring` (1 or 3) at 0x1800 with ESP 0x7f00 through IRET: push ss; push esp;
 * push eflags; push cs; push eip; iret.
 */
export function toRing(ring: 1 | 3, eflags = 0x202, loadData = true): number[] {
  const cs = ring === 3 ? SEL.code3 : SEL.code1;
  const ss = ring === 3 ? SEL.data3 : SEL.data1;
  // mov eax, ss; mov ds, eax; mov es, eax — the ring's data segment survives the IRET.
  const data = loadData ? [0xb8, ...dd(ss), 0x8e, 0xd8, 0x8e, 0xc0] : [];
  return [...data, 0x6a, ss, 0x68, ...dd(0x7f00), 0x68, ...dd(eflags), 0x6a, cs, 0x68, ...dd(0x1800), 0xcf];
}

/** Exit bits for the given vectors. */
export function exitBits(...vectors: number[]): Uint32Array {
  const bits = new Uint32Array(8);
  for (const v of vectors) bits[v >>> 5] |= 1 << (v & 31);
  return bits;
}

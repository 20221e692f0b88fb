import { GuestMemory } from '@lguest/abi';
import { describe, expect, it } from 'vitest';
import { Cpu, CR0_EM, CR0_MP, CR0_NE, CR0_TS, REG_EAX, REG_ESI } from './cpu.js';
import { FLAG_CF, FLAG_PF, FLAG_ZF } from './flags.js';
import { exitBits, machine } from './test-machine.js';

const HLT = 0xf4;

describe('the x87 seam', () => {
  it('runs x87 code through the core: loads, arithmetic, stores, FNSTSW', () => {
    // fld1; fadd st0,st0; fistp dword [esi]; fnstsw ax; hlt
    const m = machine([0xd9, 0xe8, 0xd8, 0xc0, 0xdb, 0x1e, 0xdf, 0xe0, HLT]);
    m.cpu.regs[REG_ESI] = 0x5000;
    m.cpu.regs[REG_EAX] = -1;
    expect(m.run()).toEqual({ kind: 'halt' });
    expect(m.memory.read32(0x5000)).toBe(2);
    expect(m.cpu.regs[REG_EAX] >>> 16).toBe(0xffff); // only AX written
    expect(m.cpu.regs[REG_EAX] & 0x3800).toBe(0); // TOP back to 0 after the pop
  });

  it('FCOMIP sets ZF/PF/CF in EFLAGS and FCMOVB reads CF', () => {
    // fldz; fld1; fcomip st1 (1 > 0: all clear); fld1 (st0=1, st1=0); fcmovb (not taken); fistp [esi]; hlt
    const m = machine([0xd9, 0xee, 0xd9, 0xe8, 0xdf, 0xf1, 0xd9, 0xe8, 0xda, 0xc1, 0xdb, 0x1e, HLT]);
    m.cpu.regs[REG_ESI] = 0x5000;
    m.cpu.setEflags(0x2 | FLAG_CF | FLAG_ZF | FLAG_PF);
    m.run();
    expect(m.cpu.getEflags() & (FLAG_CF | FLAG_ZF | FLAG_PF)).toBe(0);
    expect(m.memory.read32(0x5000)).toBe(1);
  });

  it('a faulting memory operand leaves the FPU untouched and reports #PF', () => {
    // fild dword [esi] with esi on a not-present page
    const m = machine([0xdb, 0x06, HLT]);
    m.memory.write32(0x10000, 0x11000 | 7);
    for (let i = 0; i < 256; i++) m.memory.write32(0x11000 + i * 4, (i << 12) | 7);
    m.cpu.cr3 = 0x10000;
    m.cpu.cr0 = m.cpu.cr0 | 0x8000_0000;
    m.cpu.regs[REG_ESI] = 0x200000;
    m.cpu.setExitVectors(exitBits(14));
    expect(m.run()).toEqual({ kind: 'vector', vector: 14, errorCode: 0, cr2: 0x200000, eip: 0x1000 });
  });

  it('#NM for CR0.EM or CR0.TS, WAIT only with TS and MP', () => {
    for (const [cr0, code, vector] of [
      [CR0_EM, [0xd9, 0xe8], 7],
      [CR0_TS, [0xd9, 0xe8], 7],
      [CR0_TS | CR0_MP, [0x9b], 7],
    ] as const) {
      const m = machine([...code, HLT]);
      m.cpu.cr0 = m.cpu.cr0 | cr0;
      m.cpu.setExitVectors(exitBits(7));
      expect(m.run()).toMatchObject({ vector, eip: 0x1000 });
    }
    const m = machine([0x9b, HLT]); // WAIT with TS but not MP runs
    m.cpu.cr0 = m.cpu.cr0 | CR0_TS;
    expect(m.run()).toEqual({ kind: 'halt' });
  });

  it('an unmasked exception raises #MF at the next waiting instruction when CR0.NE is set', () => {
    // fldcw [esi] (ZM unmasked); fld1; fdiv dword [esi+4] (by 0.0); fwait -> #MF at the fwait
    const m = machine([0xd9, 0x2e, 0xd9, 0xe8, 0xd8, 0x76, 0x04, 0x9b, HLT]);
    m.memory.write16(0x5000, 0x037f & ~0x4);
    m.memory.write32(0x5004, 0);
    m.cpu.regs[REG_ESI] = 0x5000;
    m.cpu.cr0 = m.cpu.cr0 | CR0_NE;
    m.cpu.setExitVectors(exitBits(16));
    expect(m.run()).toEqual({ kind: 'vector', vector: 16, errorCode: undefined, cr2: 0, eip: 0x1007 });
  });

  it('a CPU without an x87 unit raises #UD for ESC opcodes', () => {
    const memory = new GuestMemory(new ArrayBuffer(1 << 20));
    memory.bytes.set([0xd9, 0xe8], 0);
    const cpu = new Cpu({ memory, fpu: null });
    cpu.setExitVectors(exitBits(6));
    cpu.setSegment(1, { selector: 8, base: 0, limit: 0xffff_ffff, attributes: 0xc09b });
    expect(cpu.run(10)).toMatchObject({ vector: 6, eip: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import { CR0_PG, REG_EAX, REG_ECX, REG_EDX, REG_ESI } from './cpu.js';
import { dd, exitBits, machine } from './test-machine.js';

const HLT = 0xf4;

describe('the decoded-instruction cache', () => {
  it('replays memory operands with the registers of each execution', () => {
    // l: add eax, [ebx+esi*4+8]; inc esi; dec ecx; jnz l; hlt
    const m = machine([0x03, 0x44, 0xb3, 0x08, 0x46, 0x49, 0x75, 0xf8, HLT]);
    for (let i = 0; i < 8; i++) m.memory.write32(0x3008 + i * 4, i + 1);
    Object.assign(m.cpu.regs, { 3: 0x3000, [REG_ECX]: 8 });
    m.run();
    expect(m.cpu.regs[REG_EAX]).toBe(36);
    expect(m.cpu.regs[REG_ESI]).toBe(8);
  });

  it('checks the CS limit for a replayed instruction once a limit cuts its page', () => {
    // nop; nop; mov eax, 7 (0x1002–0x1006); hlt — recorded under a flat CS, then replayed under a CS
    // whose limit (0x1004) ends inside the mov.
    const m = machine([0x90, 0x90, 0xb8, ...dd(7), HLT]);
    expect(m.run()).toEqual({ kind: 'halt' });
    const cs = m.cpu.getSegment(1);
    m.cpu.setSegment(1, { ...cs, limit: 0x1004 });
    m.cpu.setExitVectors(exitBits(13));
    m.cpu.regs[REG_EAX] = 0;
    m.cpu.eip = 0x1000;
    expect(m.cpu.run(10)).toEqual({ kind: 'vector', vector: 13, errorCode: 0, cr2: 0, eip: 0x1002 });
    expect(m.cpu.regs[REG_EAX]).toBe(0);
  });

  it('sees the CPU rewrite an instruction it already executed on the same page', () => {
    // l: mov edx, 5 (imm at 0x1001); add eax, edx; inc dword [0x1001]; dec ecx; jnz l; hlt
    const m = machine([0xba, ...dd(5), 0x01, 0xd0, 0xff, 0x05, ...dd(0x1001), 0x49, 0x75, 0xf0, HLT]);
    m.cpu.regs[REG_ECX] = 4;
    expect(m.run()).toEqual({ kind: 'halt' });
    expect(m.cpu.regs[REG_EAX]).toBe(5 + 6 + 7 + 8);
    expect(m.cpu.regs[REG_EDX]).toBe(8);
  });

  it('sees a write through another linear mapping of the same physical page', () => {
    // Paging: linear 0x1000 and 0x400000 both map physical 0x1000.
    // l: mov edx, 5 (at 0x1000); add eax, edx; inc dword [0x401001]; dec ecx; jnz l; hlt
    const m = machine([0xba, ...dd(5), 0x01, 0xd0, 0xff, 0x05, ...dd(0x401001), 0x49, 0x75, 0xf0, HLT], {
      memBytes: 1 << 20,
    });
    m.memory.write32(0x10000, 0x11000 | 7);
    m.memory.write32(0x10004, 0x12000 | 7);
    for (let i = 0; i < 1024; i++) m.memory.write32(0x11000 + i * 4, (i << 12) | 7);
    m.memory.write32(0x12000 + 4, 0x1000 | 7);
    m.cpu.cr3 = 0x10000;
    m.cpu.cr0 = m.cpu.cr0 | CR0_PG;
    m.cpu.regs[REG_ECX] = 3;
    m.run();
    expect(m.cpu.regs[REG_EAX]).toBe(5 + 6 + 7);
  });

  it('sees code the Host writes through GuestMemory between runs', () => {
    const m = machine([0xb8, ...dd(1), HLT]); // mov eax, 1; hlt
    for (let i = 0; i < 2; i++) {
      m.cpu.eip = 0x1000; // the second pass replays the decoded record
      m.run();
      expect(m.cpu.regs[REG_EAX]).toBe(1);
    }
    m.memory.write32(0x1001, 2); // bumps the page's write generation
    m.cpu.eip = 0x1000;
    m.run();
    expect(m.cpu.regs[REG_EAX]).toBe(2);
  });

  it('sees a LOCKed write to code on shared memory', () => {
    // l: mov edx, 5; add eax, edx; lock inc dword [0x1001]; dec ecx; jnz l; hlt
    const m = machine([0xba, ...dd(5), 0x01, 0xd0, 0xf0, 0xff, 0x05, ...dd(0x1001), 0x49, 0x75, 0xef, HLT], {
      shared: true,
    });
    m.cpu.regs[REG_ECX] = 3;
    m.run();
    expect(m.cpu.regs[REG_EAX]).toBe(5 + 6 + 7);
  });
});

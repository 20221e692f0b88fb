import { CODE_CACHED, GENERATION_STEP, GuestMemory } from '@lguest/abi';
import { describe, expect, it } from 'vitest';
import { CR0_PG, createFlatCpu, REG_EAX, REG_ECX, REG_EDX, REG_ESI, REG_ESP } from './cpu.js';
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

  it("sees a rewrite by a second CPU's store fast path on the same memory (same thread)", () => {
    const memory = new GuestMemory(new ArrayBuffer(1 << 20));
    // CPU A (0x1000): l: mov eax, 1; inc ecx; cmp eax, 2; jne l; hlt
    memory.bytes.set([0xb8, ...dd(1), 0x41, 0x83, 0xf8, 0x02, 0x75, 0x100 - 11, HLT], 0x1000);
    // CPU B (0x2000): mov dword [0x1800], 0 (fills its TLB); mov dword [0x1001], 2; hlt
    memory.bytes.set([0xc7, 0x05, ...dd(0x1800), ...dd(0), 0xc7, 0x05, ...dd(0x1001), ...dd(2), HLT], 0x2000);
    const a = createFlatCpu(memory);
    const b = createFlatCpu(memory);
    a.eip = 0x1000;
    b.eip = 0x2000;
    a.regs[REG_ESP] = b.regs[REG_ESP] = 0x9000;
    expect(a.run(400)).toEqual({ kind: 'budget' }); // 100 iterations, from cached records
    expect(b.run(100)).toEqual({ kind: 'halt' });
    expect(a.run(400)).toEqual({ kind: 'halt' });
    expect(a.regs[REG_ECX]).toBe(101);
  });

  it("counts only code pages' stores, keeping the mark", () => {
    // l: mov dword [0x1800], ecx (code page, no code there); mov [0x3000], ecx; dec ecx; jnz l; hlt
    const m = machine([0x89, 0x0d, ...dd(0x1800), 0x89, 0x0d, ...dd(0x3000), 0x49, 0x75, 0x100 - 15, HLT]);
    m.cpu.regs[REG_ECX] = 10;
    expect(m.run()).toEqual({ kind: 'halt' });
    const gens = m.memory.generations;
    expect(gens[1] & CODE_CACHED).toBe(CODE_CACHED);
    // Every store after the page was marked was counted (the first one came before the mark).
    expect(gens[1] >>> 1).toBeGreaterThanOrEqual(9);
    expect(gens[1] >>> 1).toBeLessThanOrEqual(10);
    expect(gens[3]).toBe(0); // a data page no CPU runs code from: the CPU's stores leave it alone
    m.memory.write8(0x3000, 1); // GuestMemory counts every write, and keeps the (absent) mark
    expect(gens[3]).toBe(GENERATION_STEP);
  });

  it('keeps the records of a page whose write missed their bytes, and re-decodes only what changed', () => {
    // l: mov edx, 5 (0x1000); mov eax, edx (0x1005); mov [0x1800], ecx; dec ecx; jnz l; hlt
    const m = machine([0xba, ...dd(5), 0x89, 0xd0, 0x89, 0x0d, ...dd(0x1800), 0x49, 0x75, 0x100 - 16, HLT]);
    m.cpu.regs[REG_ECX] = 3;
    expect(m.run()).toEqual({ kind: 'halt' });
    const page = [...m.cpu.decodeCache.pages.values()][0];
    const movEdx = page.records[0];
    const movEax = page.records[5];
    expect(movEdx).toBeDefined();
    expect(movEax).toBeDefined();
    m.memory.write32(0x1001, 9); // the Host patches the first instruction's immediate
    m.cpu.eip = 0x1000;
    m.cpu.regs[REG_ECX] = 3;
    expect(m.run()).toEqual({ kind: 'halt' });
    expect(m.cpu.regs[REG_EAX]).toBe(9);
    expect(page.records[0]).not.toBe(movEdx); // decoded again from the new bytes
    expect(page.records[5]).toBe(movEax); // untouched bytes: the same record, checked and kept
  });

  it('re-decodes a record whose last byte changed on a page it ends at the edge of', () => {
    // mov eax, imm32 at 0x1ffb–0x1fff (the last byte of the page is the immediate's top byte); the
    // next page: hlt.
    const m = machine([], { memBytes: 1 << 20 });
    m.memory.bytes.set([0xb8, ...dd(0x0100_0001)], 0x1ffb);
    m.memory.bytes[0x2000] = HLT;
    for (let i = 0; i < 2; i++) {
      m.cpu.eip = 0x1ffb;
      expect(m.run()).toEqual({ kind: 'halt' });
    }
    expect(m.cpu.regs[REG_EAX]).toBe(0x0100_0001);
    m.memory.write8(0x1fff, 0x02);
    m.cpu.eip = 0x1ffb;
    expect(m.run()).toEqual({ kind: 'halt' });
    expect(m.cpu.regs[REG_EAX]).toBe(0x0200_0001);
  });
});

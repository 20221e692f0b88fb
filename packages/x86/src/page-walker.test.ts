import { GuestMemory, type HostFrame } from '@lguest/abi';
import { describe, expect, it } from 'vitest';
import { Cpu, CR0_PG, CR0_WP, CR4_PSE, createFlatCpu, REG_EAX, REG_EBX, REG_ESP } from './cpu.js';
import { exitBits, machine, protectedMachine, toRing } from './test-machine.js';
import {
  ACCESS_WRITE,
  type Access,
  TRANSLATE_FAULT,
  type Translation,
  type TranslationProvider,
} from './translation.js';

const HLT = 0xf4;
const PD = 0x10000;
const PT = 0x11000;

/** Identity-maps the first 4 MiB with `flags` per page (present, writable, user by default). */
function pageTables(memory: GuestMemory, flags = 7): void {
  memory.write32(PD, PT | 7);
  for (let i = 0; i < 1024; i++) memory.write32(PT + i * 4, (i << 12) | flags);
}

function pte(memory: GuestMemory, page: number): number {
  return memory.read32(PT + page * 4);
}

describe('the i386 page walker', () => {
  it('translates with paging on and sets accessed and dirty bits', () => {
    // mov eax,[0x5000]; mov [0x6000],eax; hlt
    const m = machine([0xa1, 0, 0x50, 0, 0, 0xa3, 0, 0x60, 0, 0, HLT]);
    pageTables(m.memory);
    m.memory.write32(0x5000, 0xcafe);
    m.cpu.cr3 = PD;
    m.cpu.cr0 = m.cpu.cr0 | CR0_PG;
    expect(m.run()).toEqual({ kind: 'halt' });
    expect(m.memory.read32(0x6000)).toBe(0xcafe);
    expect(pte(m.memory, 5) & 0x60).toBe(0x20); // accessed only
    expect(pte(m.memory, 6) & 0x60).toBe(0x60); // accessed and dirty
    expect(m.memory.read32(PD) & 0x20).toBe(0x20);
  });

  it('a not-present page raises #PF with CR2 and error code 0 for a supervisor read', () => {
    const m = machine([0xa1, 0, 0x50, 0, 0, HLT]);
    pageTables(m.memory);
    m.memory.write32(PT + 5 * 4, 0);
    m.cpu.cr3 = PD;
    m.cpu.cr0 = m.cpu.cr0 | CR0_PG;
    m.cpu.setExitVectors(exitBits(14));
    expect(m.run()).toEqual({ kind: 'vector', vector: 14, errorCode: 0, cr2: 0x5000, eip: 0x1000 });
    expect(m.cpu.cr2).toBe(0x5000);
  });

  it('user accesses to supervisor pages and writes to read-only pages set P, W and U', () => {
    const run = (code: number[], setup: (mem: GuestMemory) => void) => {
      const m = protectedMachine(toRing(3));
      m.memory.bytes.set(code, 0x1800);
      pageTables(m.memory);
      setup(m.memory);
      m.cpu.cr3 = PD;
      m.cpu.cr0 = m.cpu.cr0 | CR0_PG;
      m.cpu.setExitVectors(exitBits(13, 14));
      return m.run(100);
    };
    // mov eax,[0x5000] on a supervisor page
    expect(run([0xa1, 0, 0x50, 0, 0], (mem) => mem.write32(PT + 5 * 4, 0x5003))).toMatchObject({
      vector: 14,
      errorCode: 5,
      cr2: 0x5000,
    });
    // mov [0x5000],eax on a read-only user page
    expect(run([0xa3, 0, 0x50, 0, 0], (mem) => mem.write32(PT + 5 * 4, 0x5005))).toMatchObject({
      vector: 14,
      errorCode: 7,
    });
    // write to a not-present page from user mode
    expect(run([0xa3, 0, 0x50, 0, 0], (mem) => mem.write32(PT + 5 * 4, 0))).toMatchObject({
      vector: 14,
      errorCode: 6,
    });
  });

  it('CR0.WP decides whether a supervisor write to a read-only page faults (CPL 1 is supervisor)', () => {
    for (const wp of [true, false]) {
      const m = protectedMachine(toRing(1));
      m.memory.bytes.set([0xb8, 0x34, 0x12, 0, 0, 0xa3, 0, 0x50, 0, 0, 0xeb, 0xfe], 0x1800); // mov eax,0x1234; mov [0x5000],eax; jmp $
      pageTables(m.memory);
      m.memory.write32(PT + 5 * 4, 0x5005); // user, read-only
      m.cpu.cr3 = PD;
      m.cpu.cr0 = m.cpu.cr0 | CR0_PG | (wp ? CR0_WP : 0);
      m.cpu.setExitVectors(exitBits(13, 14));
      const exit = m.run(100);
      if (wp) expect(exit).toMatchObject({ vector: 14, errorCode: 3, cr2: 0x5000, eip: 0x1805 });
      else {
        expect(exit).toEqual({ kind: 'budget' });
        expect(m.memory.read32(0x5000)).toBe(0x1234);
        expect(pte(m.memory, 5) & 0x40).toBe(0x40);
      }
    }
  });

  it('the TLB keeps a stale mapping until INVLPG or a CR3 reload', () => {
    // mov eax,[0x5000]; hlt | (after remap) mov ebx,[0x5000]; hlt | invlpg [0x5000]; mov ebx,[0x5000]; hlt
    const m = machine([
      0xa1,
      0,
      0x50,
      0,
      0,
      HLT,
      0x8b,
      0x1d,
      0,
      0x50,
      0,
      0,
      HLT,
      0x0f,
      0x01,
      0x3d,
      0,
      0x50,
      0,
      0,
      0x8b,
      0x1d,
      0,
      0x50,
      0,
      0,
      HLT,
    ]);
    pageTables(m.memory);
    m.memory.write32(0x5000, 1);
    m.memory.write32(0x7000, 2);
    m.cpu.cr3 = PD;
    m.cpu.cr0 = m.cpu.cr0 | CR0_PG;
    m.run();
    expect(m.cpu.regs[REG_EAX]).toBe(1);
    m.memory.write32(PT + 5 * 4, 0x7007);
    m.run();
    expect(m.cpu.regs[REG_EBX]).toBe(1); // stale, as on hardware
    m.run();
    expect(m.cpu.regs[REG_EBX]).toBe(2);
    m.memory.write32(PT + 5 * 4, 0x5007);
    m.cpu.cr3 = PD; // reload flushes
    m.cpu.eip = 0x1006;
    m.run();
    expect(m.cpu.regs[REG_EBX]).toBe(1);
  });

  it('forgets every cached translation at a CR3 load, however many slots were filled', () => {
    // Identity-map 28 MiB; read `count` pages (filling that many TLB slots), point their PTEs at a
    // marker page, reload CR3 and read them again. 10 pages clear slot by slot, 6000 clear the whole
    // TLB; a slot emptied by INVLPG and filled again is in the list twice.
    for (const count of [10, 6000]) {
      const m = machine([HLT], { memBytes: 32 << 20 });
      const tables = 7;
      for (let t = 0; t < tables; t++) {
        m.memory.write32(PD + t * 4, (PT + t * 0x1000) | 7);
        for (let i = 0; i < 1024; i++) m.memory.write32(PT + t * 0x1000 + i * 4, ((t * 1024 + i) << 12) | 7);
      }
      const marker = 0x20_000;
      m.memory.write32(marker, 0x1234_5678);
      m.cpu.cr3 = PD;
      m.cpu.cr0 = m.cpu.cr0 | CR0_PG;
      const first = 0x100;
      for (let p = first; p < first + count; p++) m.cpu.rd32(p << 12);
      m.cpu.invalidatePage(first << 12);
      m.cpu.rd32(first << 12);
      for (let p = first; p < first + count; p++) m.memory.write32(PT + p * 4, marker | 7);
      expect(m.cpu.rd32(first << 12)).toBe(0); // still cached, as on hardware
      m.cpu.cr3 = PD;
      for (let p = first; p < first + count; p++) {
        if (m.cpu.rd32(p << 12) !== 0x1234_5678)
          throw new Error(`page 0x${p.toString(16)} kept its old frame`);
      }
    }
  });

  it('maps 4 MiB pages when CR4.PSE is set', () => {
    const m = machine([0xa1, 0x34, 0x12, 0x40, 0x00, HLT], { memBytes: 8 << 20 }); // mov eax,[0x401234]
    pageTables(m.memory);
    m.memory.write32(PD + 4, 0x0000_0087); // linear 4 MiB..8 MiB -> physical 0..4 MiB, PS
    m.memory.write32(0x1234, 0xbeef);
    m.cpu.cr3 = PD;
    m.cpu.cr4 = CR4_PSE;
    m.cpu.cr0 = m.cpu.cr0 | CR0_PG;
    m.run();
    expect(m.cpu.regs[REG_EAX]).toBe(0xbeef);
    expect(m.memory.read32(PD + 4) & 0x20).toBe(0x20);
  });

  it('physical memory nothing backs reads as all ones and drops writes', () => {
    // mov dword [0x200000], 5; mov eax,[0x200000]; hlt  (1 MiB of RAM)
    const m = machine([0xc7, 0x05, 0, 0, 0x20, 0, 5, 0, 0, 0, 0xa1, 0, 0, 0x20, 0, HLT]);
    expect(m.run()).toEqual({ kind: 'halt' });
    expect(m.cpu.regs[REG_EAX]).toBe(-1);
  });
});

describe('the TLB and a translation provider', () => {
  class CountingProvider implements TranslationProvider {
    calls: [number, Access, boolean][] = [];
    writable = false;
    faultsLeft = 0;
    constructor(private readonly memory: GuestMemory) {}
    translate(linear: number, access: Access, user: boolean, out: Translation): number {
      this.calls.push([linear, access, user]);
      if (this.faultsLeft > 0) {
        this.faultsLeft--;
        return TRANSLATE_FAULT | (access === ACCESS_WRITE ? 2 : 0);
      }
      out.frame = this.memory.frame(linear >>> 12) as HostFrame;
      out.writable = this.writable || linear >>> 12 === 7;
      out.user = true;
      return 0;
    }
  }

  function cpuWith(provider: CountingProvider, memory: GuestMemory, code: number[]): Cpu {
    memory.bytes.set(code, 0x1000);
    const flat = createFlatCpu(memory);
    const cpu = new Cpu({ memory, translation: provider });
    for (let s = 0; s < 6; s++) cpu.setSegment(s, flat.getSegment(s));
    cpu.eip = 0x1000;
    cpu.regs[REG_ESP] = 0x8000;
    return cpu;
  }

  it('asks once more on a cached entry that lacks the right, and caches what it grants', () => {
    const memory = new GuestMemory(new ArrayBuffer(1 << 20));
    const p = new CountingProvider(memory);
    // mov eax,[0x5000]; mov [0x5000],eax; mov [0x5000],eax; hlt
    const cpu = cpuWith(p, memory, [0xa1, 0, 0x50, 0, 0, 0xa3, 0, 0x50, 0, 0, 0xa3, 0, 0x50, 0, 0, HLT]);
    expect(cpu.run(100)).toEqual({ kind: 'halt' });
    const data = p.calls.filter(([lin]) => lin === 0x5000);
    // read (cached read-only), write (asked again; still not cached writable), second write asked again
    expect(data.map(([, a]) => a)).toEqual([0, 1, 1]);
    p.calls = [];
    p.writable = true;
    cpu.invalidateAll();
    cpu.eip = 0x1005;
    cpu.run(100);
    expect(p.calls.filter(([lin]) => lin === 0x5000).map(([, a]) => a)).toEqual([1]);
  });

  it('never caches a refusal: the next access asks again', () => {
    const memory = new GuestMemory(new ArrayBuffer(1 << 20));
    const p = new CountingProvider(memory);
    p.writable = true;
    const cpu = cpuWith(p, memory, [0xa1, 0, 0x50, 0, 0, HLT]);
    cpu.setExitVectors(exitBits(14));
    p.faultsLeft = 1; // the code fetch is refused once
    expect(cpu.run(10)).toEqual({ kind: 'vector', vector: 14, errorCode: 0, eip: 0x1000, cr2: 0x1000 });
    expect(cpu.run(10)).toEqual({ kind: 'halt' });
    // The refused fetch was asked about again, then cached.
    expect(p.calls.filter(([lin]) => lin === 0x1000).length).toBe(2);
  });
});

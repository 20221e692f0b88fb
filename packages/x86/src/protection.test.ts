import { describe, expect, it } from 'vitest';
import { CR0_TS, REG_EAX, REG_EBX, REG_ECX, REG_EDX, SEG_DS, SEG_ES } from './cpu.js';
import { FLAG_AC, FLAG_ID, FLAG_IF, FLAG_IOPL } from './flags.js';
import { flatAttributes, HostDescriptorTables } from './index.js';
import {
  descriptor,
  exitBits,
  gate,
  protectedMachine,
  SEL,
  setGate,
  TSS_BASE,
  toRing,
} from './test-machine.js';

const HLT = 0xf4;
const GP = exitBits(13);

/** Runs `code` at `ring` with #GP (and #NP/#SS/#UD) as exits; returns the exit. */
function runAt(ring: 1 | 3, code: number[], eflags = 0x202, io?: { in(): number; out(): void }) {
  const m = protectedMachine(toRing(ring, eflags), { io: io as never });
  m.memory.bytes.set(code, 0x1800);
  m.cpu.setExitVectors(exitBits(6, 11, 12, 13));
  return { m, exit: m.run(1000) };
}

describe('privileged instructions above CPL 0', () => {
  const cases: [string, number[]][] = [
    ['hlt', [HLT]],
    ['mov eax, cr0', [0x0f, 0x20, 0xc0]],
    ['mov cr3, eax', [0x0f, 0x22, 0xd8]],
    ['mov eax, cr4', [0x0f, 0x20, 0xe0]],
    ['mov eax, dr7', [0x0f, 0x21, 0xf8]],
    ['lgdt [eax]', [0x0f, 0x01, 0x10]],
    ['lidt [eax]', [0x0f, 0x01, 0x18]],
    ['lldt ax', [0x0f, 0x00, 0xd0]],
    ['ltr ax', [0x0f, 0x00, 0xd8]],
    ['invlpg [eax]', [0x0f, 0x01, 0x38]],
    ['invd', [0x0f, 0x08]],
    ['wbinvd', [0x0f, 0x09]],
    ['clts', [0x0f, 0x06]],
    ['rdmsr', [0x0f, 0x32]],
    ['wrmsr', [0x0f, 0x30]],
    ['rdpmc', [0x0f, 0x33]],
    ['lmsw ax', [0x0f, 0x01, 0xf0]],
    ['cli (IOPL 0)', [0xfa]],
    ['sti (IOPL 0)', [0xfb]],
    ['in al, 0x60 (IOPL 0)', [0xe4, 0x60]],
    ['out 0x80, al (IOPL 0)', [0xe6, 0x80]],
    ['insb (IOPL 0)', [0x6c]],
    ['outsb (IOPL 0)', [0x6e]],
  ];
  for (const ring of [1, 3] as const) {
    for (const [name, code] of cases) {
      it(`${name} at CPL ${ring} raises #GP(0)`, () => {
        const { exit } = runAt(ring, code);
        expect(exit).toEqual({ kind: 'vector', vector: 13, errorCode: 0, cr2: 0, eip: 0x1800 });
      });
    }
  }

  it('IN/OUT/CLI/STI are allowed at CPL 1 when IOPL = 1', () => {
    const seen: number[] = [];
    const io = { in: () => 0x5a, out: (_p: number, _s: number, v: number) => void seen.push(v) };
    // in al,0x60; out 0x80,al; cli; sti; hlt
    const { m, exit } = runAt(1, [0xe4, 0x60, 0xe6, 0x80, 0xfa, 0xfb, HLT], 0x1202, io as never);
    expect(exit).toEqual({ kind: 'vector', vector: 13, errorCode: 0, cr2: 0, eip: 0x1806 }); // HLT still privileged
    expect(m.cpu.regs[REG_EAX] & 0xff).toBe(0x5a);
    expect(seen).toEqual([0x5a]);
  });

  it('the TSS I/O bitmap allows the ports whose bits are clear', () => {
    const ports: number[] = [];
    const io = {
      in: (p: number) => {
        ports.push(p);
        return 7;
      },
      out: () => {},
    };
    const m = protectedMachine(toRing(3), { io: io as never });
    // in al, 0x60; in al, 0x61; hlt
    m.memory.bytes.set([0xe4, 0x60, 0xe4, 0x61, HLT], 0x1800);
    m.cpu.tr.limit = 0x68 + 0x20;
    m.memory.write16(TSS_BASE + 0x66, 0x68);
    m.memory.bytes.fill(0xff, TSS_BASE + 0x68, TSS_BASE + 0x88);
    m.memory.bytes[TSS_BASE + 0x68 + (0x60 >> 3)] = 0xfe; // port 0x60 allowed
    m.cpu.setExitVectors(GP);
    expect(m.run(1000)).toEqual({ kind: 'vector', vector: 13, errorCode: 0, cr2: 0, eip: 0x1802 });
    expect(ports).toEqual([0x60]);
  });
});

describe('control registers at CPL 0', () => {
  it('MOV to CR4 rejects bits this CPU does not implement (PAE) with #GP(0)', () => {
    // mov eax, 0x20; mov cr4, eax
    const m = protectedMachine([0xb8, 0x20, 0, 0, 0, 0x0f, 0x22, 0xe0, HLT]);
    m.cpu.setExitVectors(GP);
    expect(m.run()).toEqual({ kind: 'vector', vector: 13, errorCode: 0, cr2: 0, eip: 0x1005 });
    const n = protectedMachine([0xb8, 0x10, 0, 0, 0, 0x0f, 0x22, 0xe0, HLT]); // PSE is fine
    expect(n.run()).toEqual({ kind: 'halt' });
    expect(n.cpu.cr4).toBe(0x10);
  });
});

describe('POPF and flags protection', () => {
  it('POPF at CPL 3 changes neither IF nor IOPL but does change ID and AC', () => {
    // push 0x243202 (ID, AC, IOPL 3, IF clear); popf; pushf; pop ebx; hlt(#GP)
    const { m } = runAt(3, [0x68, 0x02, 0x32, 0x24, 0x00, 0x9d, 0x9c, 0x5b, HLT]);
    const f = m.cpu.regs[REG_EBX];
    expect(f & FLAG_IF).toBe(FLAG_IF);
    expect(f & FLAG_IOPL).toBe(0);
    expect(f & FLAG_ID).toBe(FLAG_ID);
    expect(f & FLAG_AC).toBe(FLAG_AC);
  });

  it('POPF at CPL 0 changes IF and IOPL', () => {
    const m = protectedMachine([0x68, 0x02, 0x30, 0x00, 0x00, 0x9d, 0x9c, 0x5b, HLT]);
    m.cpu.setEflags(0x202);
    m.run();
    expect(m.cpu.regs[REG_EBX] & (FLAG_IF | FLAG_IOPL)).toBe(FLAG_IOPL);
  });
});

describe('segment loads', () => {
  it('loading a DPL-0 data segment at CPL 3 raises #GP(selector)', () => {
    const { exit } = runAt(3, [0x66, 0xb8, SEL.data0, 0, 0x8e, 0xd8]);
    expect(exit).toEqual({ kind: 'vector', vector: 13, errorCode: SEL.data0 & ~3, cr2: 0, eip: 0x1804 });
  });

  it('a null selector loads into DS but faults on use', () => {
    // xor eax,eax; mov ds,ax; mov ebx,[0]
    const { m, exit } = runAt(3, [0x31, 0xc0, 0x8e, 0xd8, 0x8b, 0x1d, 0, 0, 0, 0]);
    expect(m.cpu.getSegment(SEG_DS).selector).toBe(0);
    expect(exit).toEqual({ kind: 'vector', vector: 13, errorCode: 0, cr2: 0, eip: 0x1804 });
  });

  it('a null SS raises #GP(0); MOV to CS is #UD', () => {
    expect(runAt(1, [0x31, 0xc0, 0x8e, 0xd0]).exit).toMatchObject({ vector: 13, errorCode: 0 });
    expect(runAt(1, [0x8e, 0xc8]).exit).toMatchObject({ vector: 6 });
  });

  it('a not-present segment raises #NP(selector); beyond the GDT limit #GP(selector)', () => {
    const m = protectedMachine([0x66, 0xb8, 0x40, 0, 0x8e, 0xc0, HLT]);
    const [lo, hi] = descriptor(0, 0xfffff, 3, 0);
    m.memory.write32(0x500 + 0x40, lo >>> 0);
    m.memory.write32(0x500 + 0x44, (hi & ~0x8000) >>> 0);
    m.cpu.gdtr.limit = 0x47;
    m.cpu.setExitVectors(exitBits(11, 13));
    expect(m.run()).toMatchObject({ vector: 11, errorCode: 0x40 });
    m.cpu.gdtr.limit = 0x3f;
    m.cpu.eip = 0x1000;
    expect(m.run()).toMatchObject({ vector: 13, errorCode: 0x40 });
  });

  it('segment limits are enforced with #GP(0)', () => {
    const m = protectedMachine([0x66, 0xb8, 0x40, 0, 0x8e, 0xc0, 0x26, 0x8b, 0x1d, 0xfe, 0x0f, 0, 0, HLT]);
    const [lo, hi] = descriptor(0x3000, 0xfff, 3, 0); // 4 KiB data segment at 0x3000
    m.memory.write32(0x540, lo >>> 0);
    m.memory.write32(0x544, hi >>> 0);
    m.cpu.gdtr.limit = 0x47;
    m.cpu.setExitVectors(exitBits(12, 13));
    // mov ebx, es:[0xffe] crosses the limit
    expect(m.run()).toEqual({ kind: 'vector', vector: 13, errorCode: 0, cr2: 0, eip: 0x1006 });
    expect(m.cpu.getSegment(SEG_ES).base).toBe(0x3000);
  });
});

describe('host-side descriptor tables', () => {
  it('runs a CPL-1 kernel with DPL-3 data segments from tables the guest never maps', () => {
    const tables = new HostDescriptorTables(32);
    tables.setGdtEntry(12, ...descriptor(0, 0xffff_ffff, 0xb, 1)); // 0x61: ring-1 code
    tables.setGdtEntry(13, ...descriptor(0, 0xffff_ffff, 0x3, 1)); // 0x69: ring-1 data
    tables.setGdtEntry(15, ...descriptor(0, 0xffff_ffff, 0x3, 3)); // 0x7B: user data
    tables.setGdtEntry(14, ...descriptor(0, 0xffff_ffff, 0xb, 3)); // 0x73: user code
    tables.setGate(0x80, ...gate(0x61, 0x2000, 3, true));
    tables.setStack(1, 0x69, 0x6000);
    const m = protectedMachine([]);
    m.cpu.setDescriptorSource(tables);
    m.cpu.setSegment(1, { selector: 0x61, base: 0, limit: 0xffff_ffff, attributes: flatAttributes(0xb, 1) });
    m.cpu.setSegment(2, { selector: 0x69, base: 0, limit: 0xffff_ffff, attributes: flatAttributes(0x3, 1) });
    m.cpu.eip = 0x1000;
    // mov ax,0x7b; mov ds,ax; mov es,ax; then iret to ring 3 at 0x1800 (cs 0x73, ss 0x7b)
    const code = [
      0x66, 0xb8, 0x7b, 0, 0x8e, 0xd8, 0x8e, 0xc0, 0x6a, 0x7b, 0x68, 0, 0x7f, 0, 0, 0x68, 0x02, 0x02, 0, 0,
      0x6a, 0x73, 0x68, 0, 0x18, 0, 0, 0xcf,
    ];
    m.memory.bytes.set(code, 0x1000);
    m.memory.bytes.set([0xcd, 0x80], 0x1800); // int 0x80 from ring 3
    m.memory.bytes.set([0x8c, 0xc9, 0xeb, 0xfe], 0x2000); // mov ecx, cs; jmp $
    m.run(100);
    expect(m.cpu.cpl).toBe(1);
    expect(m.cpu.regs[REG_ECX] & 0xffff).toBe(0x61);
    expect(m.cpu.getSegment(SEG_DS).selector).toBe(0x7b); // DPL 3 data is usable at CPL 1
    expect(m.cpu.regs[4]).toBe(0x6000 - 20);
  });
});

describe('host-side tables changed between uses', () => {
  /**
   * A CPL-1 kernel on host tables: `mov ds, ax; mov ebx, [0]; int 0x80`, whose handler (0x2000 or
   * 0x2100) leaves with `int 0x81`, an exit, so its EIP tells which gate the CPU used.
   */
  function kernel() {
    const tables = new HostDescriptorTables(32);
    tables.setGdtEntry(12, ...descriptor(0, 0xffff_ffff, 0xb, 1)); // 0x61: ring-1 code
    tables.setGdtEntry(13, ...descriptor(0, 0xffff_ffff, 0x3, 1)); // 0x69: ring-1 data
    tables.setGdtEntry(15, ...descriptor(0x3000, 0xfff, 0x3, 1)); // 0x79: data at 0x3000
    tables.setGate(0x80, ...gate(0x61, 0x2000, 1, true));
    tables.setGate(0x81, ...gate(0x61, 0, 1));
    const m = protectedMachine([]);
    m.cpu.setDescriptorSource(tables);
    m.cpu.setExitVectors(exitBits(0x81));
    m.memory.bytes.set([0x8e, 0xd8, 0x8b, 0x1d, 0, 0, 0, 0, 0xcd, 0x80], 0x1000);
    m.memory.bytes.set([0xcd, 0x81], 0x2000);
    m.memory.bytes.set([0xcd, 0x81], 0x2100);
    m.memory.write32(0x3000, 0x1111);
    m.memory.write32(0x4000, 0x2222);
    m.memory.write32(0x5000, 0x3333);
    const enter = () => {
      m.cpu.setSegment(1, {
        selector: 0x61,
        base: 0,
        limit: 0xffff_ffff,
        attributes: flatAttributes(0xb, 1),
      });
      m.cpu.setSegment(2, {
        selector: 0x69,
        base: 0,
        limit: 0xffff_ffff,
        attributes: flatAttributes(0x3, 1),
      });
      m.cpu.regs[REG_EAX] = 0x79;
      m.cpu.regs[4] = 0x6000;
      m.cpu.eip = 0x1000;
      return m.run(100);
    };
    return { m, tables, enter };
  }

  it('a GDT entry or IDT gate set through the setters is used at the next load and delivery', () => {
    const { m, tables, enter } = kernel();
    expect(enter()).toMatchObject({ kind: 'vector', vector: 0x81, eip: 0x2002 });
    expect(m.cpu.regs[REG_EBX]).toBe(0x1111);
    tables.setGdtEntry(15, ...descriptor(0x4000, 0xfff, 0x3, 1));
    tables.setGate(0x80, ...gate(0x61, 0x2100, 1, true));
    expect(enter()).toMatchObject({ kind: 'vector', vector: 0x81, eip: 0x2102 });
    expect(m.cpu.regs[REG_EBX]).toBe(0x2222);
    expect(m.cpu.getSegment(SEG_DS).base).toBe(0x4000);
  });

  it('entries written straight into the gdt and idt arrays are used as well', () => {
    const { m, tables, enter } = kernel();
    expect(enter()).toMatchObject({ eip: 0x2002 });
    const [lo, hi] = descriptor(0x5000, 0xfff, 0x3, 1);
    tables.gdt[15 * 2] = lo;
    tables.gdt[15 * 2 + 1] = hi;
    const [glo, ghi] = gate(0x61, 0x2100, 1, true);
    tables.idt[0x80 * 2] = glo;
    tables.idt[0x80 * 2 + 1] = ghi;
    expect(enter()).toMatchObject({ eip: 0x2102 });
    expect(m.cpu.regs[REG_EBX]).toBe(0x3333);
    // A gate no longer present: #NP(0x80*8+2) at the INT itself.
    tables.idt[0x80 * 2 + 1] = ghi & ~0x8000;
    m.cpu.setExitVectors(exitBits(0x81, 11));
    expect(enter()).toMatchObject({ kind: 'vector', vector: 11, errorCode: 0x80 * 8 + 2, eip: 0x1008 });
  });
});

describe('CPUID, RDTSC, CR0.TS', () => {
  it('CPUID reports spec §15.4 at every CPL', () => {
    // xor eax,eax; cpuid; mov edi? keep ebx/ecx/edx; hlt(#GP at CPL 3)
    const { m } = runAt(3, [0x31, 0xc0, 0x0f, 0xa2, HLT]);
    const r = m.cpu.regs;
    expect(r[REG_EAX]).toBe(1);
    const vendor = Buffer.alloc(12);
    vendor.writeInt32LE(r[REG_EBX], 0);
    vendor.writeInt32LE(r[REG_EDX], 4);
    vendor.writeInt32LE(r[REG_ECX], 8);
    expect(vendor.toString()).toBe('GenuineIntel');
    const m1 = runAt(1, [0xb8, 1, 0, 0, 0, 0x0f, 0xa2, HLT]).m;
    expect(m1.cpu.regs[REG_EDX]).toBe(0x8111);
    expect((m1.cpu.regs[REG_EAX] >> 8) & 0xf).toBe(6);
  });

  it('RDTSC counts instructions at CPL 3 (CR4.TSD clear)', () => {
    const { m } = runAt(3, [0x0f, 0x31, 0x89, 0xc3, 0x0f, 0x31, HLT]);
    expect(m.cpu.regs[REG_EAX] - m.cpu.regs[REG_EBX]).toBe(2);
    expect(m.cpu.regs[REG_EDX]).toBe(0);
  });

  it('ESC opcodes raise #NM while CR0.TS is set, and WAIT with TS and MP', () => {
    const m = protectedMachine([0xd9, 0xe8, HLT]); // fld1
    m.cpu.cr0 = m.cpu.cr0 | CR0_TS;
    m.cpu.setExitVectors(exitBits(7));
    expect(m.run()).toEqual({ kind: 'vector', vector: 7, errorCode: undefined, cr2: 0, eip: 0x1000 });
  });
});

describe('undefined opcodes', () => {
  it.each([
    ['ud2', [0x0f, 0x0b]],
    ['fxsave', [0x0f, 0xae, 0x00]],
    ['sysenter', [0x0f, 0x34]],
    ['movups (SSE)', [0x0f, 0x10, 0xc0]],
    ['lock mov', [0xf0, 0x89, 0x03]],
    ['lock add to a register', [0xf0, 0x01, 0xc0]],
    ['lea with a register operand', [0x8d, 0xc0]],
  ])('%s raises #UD', (_name, code) => {
    const m = protectedMachine([...code, HLT]);
    m.cpu.setExitVectors(exitBits(6));
    expect(m.run()).toEqual({ kind: 'vector', vector: 6, errorCode: undefined, cr2: 0, eip: 0x1000 });
  });
});

describe('nothing a guest does throws', () => {
  it('random bytes at every CPL end in exits, never host exceptions', () => {
    let seed = 12345;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      return (seed >>> 16) & 0xff;
    };
    for (let round = 0; round < 40; round++) {
      const ring = ([0, 1, 3] as const)[round % 3];
      const code = Array.from({ length: 256 }, rand);
      const m = protectedMachine(ring === 0 ? code : toRing(ring));
      if (ring !== 0) m.memory.bytes.set(code, 0x1800);
      for (let v = 0; v < 256; v++) setGate(m, v, gate(SEL.code0, 0x1800 + (v % 64), v === 0x80 ? 3 : 0));
      expect(() => m.run(20_000)).not.toThrow();
    }
  });

  it('random x87 instructions and random page tables end in exits, never host exceptions', () => {
    let seed = 777;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      return (seed >>> 16) & 0xff;
    };
    for (let round = 0; round < 24; round++) {
      // Every other byte an ESC opcode, so most instructions reach the x87 unit.
      const code = Array.from({ length: 512 }, (_, i) => (i % 3 === 0 ? 0xd8 + (rand() & 7) : rand()));
      const m = protectedMachine(code);
      for (let v = 0; v < 32; v++) setGate(m, v, gate(SEL.code0, 0x1000 + ((v * 37) % 400), 0));
      m.cpu.regs.forEach((_, i) => {
        if (i !== 4) m.cpu.regs[i] = (rand() << 12) | rand();
      });
      if (round % 2 === 1) {
        // Paging on over page tables full of garbage (but mapping the code, stack and tables).
        for (let i = 0; i < 4096; i++) m.memory.bytes[0x20000 + i] = rand();
        m.memory.write32(0x20000, 0x21000 | 7);
        for (let i = 0; i < 16; i++) m.memory.write32(0x21000 + i * 4, (i << 12) | 7);
        m.cpu.cr3 = 0x20000;
        m.cpu.cr0 = m.cpu.cr0 | 0x8000_0000;
      }
      expect(() => m.run(20_000)).not.toThrow();
    }
  });
});

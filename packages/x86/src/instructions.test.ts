import { describe, expect, it } from 'vitest';
import {
  REG_EAX,
  REG_EBP,
  REG_EBX,
  REG_ECX,
  REG_EDI,
  REG_EDX,
  REG_ESI,
  REG_ESP,
  SEG_CS,
  SEG_FS,
  SEG_GS,
} from './cpu.js';
import { F_MODRM, F_VALID, FLAGS_READ, FLAGS_WRITTEN, OPCODE_FORMS } from './decoder.js';
import { FLAG_CF, FLAG_DF, FLAG_ZF } from './flags.js';
import { dd, descriptor, exitBits, machine, protectedMachine, SEL, STACK_TOP } from './test-machine.js';

const HLT = 0xf4;

describe('string instructions', () => {
  it('REP MOVSB copies forwards and leaves ECX 0, ESI/EDI past the block', () => {
    // cld; rep movsb; hlt
    const m = machine([0xfc, 0xf3, 0xa4, HLT]);
    m.memory.bytes.set([1, 2, 3, 4, 5], 0x3000);
    Object.assign(m.cpu.regs, { [REG_ESI]: 0x3000, [REG_EDI]: 0x4000, [REG_ECX]: 5 });
    m.run();
    expect([...m.memory.bytes.subarray(0x4000, 0x4005)]).toEqual([1, 2, 3, 4, 5]);
    expect([m.cpu.regs[REG_ECX], m.cpu.regs[REG_ESI], m.cpu.regs[REG_EDI]]).toEqual([0, 0x3005, 0x4005]);
  });

  it('STD; REP STOSD fills backwards', () => {
    const m = machine([0xfd, 0xf3, 0xab, HLT]);
    Object.assign(m.cpu.regs, { [REG_EAX]: 0x11223344, [REG_EDI]: 0x4008, [REG_ECX]: 3 });
    m.run();
    expect([m.memory.read32(0x4000), m.memory.read32(0x4004), m.memory.read32(0x4008)]).toEqual([
      0x11223344, 0x11223344, 0x11223344,
    ]);
    expect(m.cpu.regs[REG_EDI]).toBe(0x3ffc);
    expect(m.cpu.getEflags() & FLAG_DF).toBe(FLAG_DF);
  });

  it('REPNE SCASB stops at the match; REPE CMPSW stops at the first difference', () => {
    const m = machine([0xfc, 0xf2, 0xae, HLT, 0x66, 0xf3, 0xa7, HLT]);
    m.memory.bytes.set(
      [...'hello\0'].map((ch) => ch.charCodeAt(0)),
      0x3000,
    );
    Object.assign(m.cpu.regs, { [REG_EAX]: 0, [REG_EDI]: 0x3000, [REG_ECX]: -1 });
    m.run();
    expect(m.cpu.regs[REG_EDI]).toBe(0x3006); // strlen + 1 scanned
    expect(m.cpu.regs[REG_ECX]).toBe(-7);
    m.memory.bytes.set([1, 0, 2, 0, 3, 0], 0x5000);
    m.memory.bytes.set([1, 0, 2, 0, 9, 0], 0x6000);
    Object.assign(m.cpu.regs, { [REG_ESI]: 0x5000, [REG_EDI]: 0x6000, [REG_ECX]: 3 });
    m.run();
    expect(m.cpu.regs[REG_ECX]).toBe(0);
    expect(m.cpu.regs[REG_ESI]).toBe(0x5006);
    expect(m.cpu.getEflags() & (FLAG_ZF | FLAG_CF)).toBe(FLAG_CF); // 3 < 9
  });

  it('a huge REP count runs in chunks without stalling the run loop', () => {
    const m = machine([0xfc, 0xf3, 0xaa, HLT]); // rep stosb
    Object.assign(m.cpu.regs, { [REG_EDI]: 0x10000, [REG_ECX]: 0x80000, [REG_EAX]: 0x5a });
    expect(m.cpu.run(3)).toEqual({ kind: 'budget' });
    expect(m.cpu.regs[REG_ECX]).toBeGreaterThan(0);
    expect(m.cpu.eip).toBe(0x1001); // still on the REP instruction
    m.run(10_000);
    expect(m.cpu.regs[REG_ECX]).toBe(0);
    expect(m.memory.bytes[0x8ffff]).toBe(0x5a);
  });

  it('a page fault in the middle of REP MOVS restarts where it stopped', () => {
    const m = machine([0xfc, 0xf3, 0xa5, HLT], { memBytes: 1 << 20 }); // rep movsd
    m.memory.write32(0x10000, 0x11000 | 7);
    for (let i = 0; i < 1024; i++) m.memory.write32(0x11000 + i * 4, (i << 12) | 7);
    m.memory.write32(0x11000 + 0x41 * 4, 0); // 0x41000 not present
    m.cpu.cr3 = 0x10000;
    m.cpu.cr0 = m.cpu.cr0 | 0x8000_0000;
    m.cpu.setExitVectors(exitBits(14));
    Object.assign(m.cpu.regs, { [REG_ESI]: 0x3000, [REG_EDI]: 0x40ff8, [REG_ECX]: 4 });
    expect(m.run()).toEqual({ kind: 'vector', vector: 14, errorCode: 2, cr2: 0x41000, eip: 0x1001 });
    expect(m.cpu.regs[REG_ECX]).toBe(2);
    expect(m.cpu.regs[REG_EDI]).toBe(0x41000);
  });
});

describe('stack frames', () => {
  it('PUSHA/POPA round-trip and PUSHA stores the original ESP', () => {
    const m = machine([0x60, 0x8b, 0x44, 0x24, 0x0c, 0x61, HLT]); // pusha; mov eax,[esp+12]; popa
    Object.assign(m.cpu.regs, { [REG_EBX]: 3, [REG_EBP]: 5, [REG_EDI]: 7 });
    m.run();
    expect(m.cpu.regs[REG_EAX]).toBe(0); // popa restored EAX
    expect(m.memory.read32(STACK_TOP - 20)).toBe(STACK_TOP); // the ESP slot
    expect(m.cpu.regs[REG_ESP]).toBe(STACK_TOP);
    expect([m.cpu.regs[REG_EBX], m.cpu.regs[REG_EBP], m.cpu.regs[REG_EDI]]).toEqual([3, 5, 7]);
  });

  it('ENTER with nesting copies the frame pointers; LEAVE undoes it', () => {
    const m = machine([0xc8, 0x10, 0x00, 0x02, HLT, 0xc9, HLT]); // enter 16,2; hlt; leave; hlt
    m.cpu.regs[REG_EBP] = 0x7800;
    m.memory.write32(0x7800 - 4, 0xabcd);
    m.run();
    const frame = STACK_TOP - 4;
    expect(m.cpu.regs[REG_EBP]).toBe(frame);
    expect(m.memory.read32(frame)).toBe(0x7800); // saved EBP
    expect(m.memory.read32(frame - 4)).toBe(0xabcd); // copied outer frame pointer
    expect(m.memory.read32(frame - 8)).toBe(frame); // this frame
    expect(m.cpu.regs[REG_ESP]).toBe(frame - 8 - 16);
    m.run();
    expect(m.cpu.regs[REG_ESP]).toBe(STACK_TOP);
    expect(m.cpu.regs[REG_EBP]).toBe(0x7800);
  });

  it('POP to an ESP-based address uses the incremented ESP; POP ESP takes the popped value', () => {
    // push 0x55; pop dword [esp]; hlt | push 0x6000; pop esp; hlt
    const m = machine([0x6a, 0x55, 0x8f, 0x04, 0x24, HLT, 0x68, ...dd(0x6000), 0x5c, HLT]);
    m.run();
    expect(m.memory.read32(STACK_TOP)).toBe(0x55);
    expect(m.cpu.regs[REG_ESP]).toBe(STACK_TOP);
    m.run();
    expect(m.cpu.regs[REG_ESP]).toBe(0x6000);
  });
});

describe('16-bit operand and address sizes', () => {
  it('uses BX+SI and BP+DI addressing with wrap-around', () => {
    // add ax,[bx+si]; mov ecx,[bp+di+4] (addr16); hlt
    const m = machine([0x67, 0x66, 0x03, 0x00, 0x67, 0x8b, 0x4b, 0x04, HLT]);
    m.memory.write16(0x1234 + 0x10, 0x0102);
    m.memory.write32(0x4, 0xdeadbeef); // (0xfffe + 2 + 4) & 0xffff
    Object.assign(m.cpu.regs, {
      [REG_EAX]: 0xffff0001,
      [REG_EBX]: 0x1234,
      [REG_ESI]: 0x10,
      [REG_EBP]: 0xf000_fffe,
      [REG_EDI]: 2,
    });
    m.run();
    expect(m.cpu.regs[REG_EAX] >>> 0).toBe(0xffff0103);
    expect(m.cpu.regs[REG_ECX] >>> 0).toBe(0xdeadbeef);
  });

  it('16-bit PUSH/POP, CALL and RET mask EIP to 16 bits', () => {
    // push word 0x1234 (66 68 34 12); pop cx (66 59); hlt
    const m = machine([0x66, 0x68, 0x34, 0x12, 0x66, 0x59, HLT]);
    m.run();
    expect(m.cpu.regs[REG_ECX] & 0xffff).toBe(0x1234);
    expect(m.cpu.regs[REG_ESP]).toBe(STACK_TOP);
  });
});

describe('miscellaneous instructions', () => {
  it('XLAT, CMPXCHG8B, BOUND and BTS with a large bit offset', () => {
    // xlat; cmpxchg8b [esi]; bts [esi], eax; hlt
    const m = machine([0xd7, 0x0f, 0xc7, 0x0e, 0x0f, 0xab, 0x06, HLT]);
    m.memory.bytes[0x3000 + 7] = 0x77;
    m.memory.write32(0x5000, 0x10);
    m.memory.write32(0x5004, 0x20);
    Object.assign(m.cpu.regs, {
      [REG_EBX]: 0x3000,
      [REG_EAX]: 7,
      [REG_ESI]: 0x5000,
      [REG_EDX]: 0x20,
      [REG_ECX]: 0x99,
    });
    m.cpu.regs[REG_EAX] = 7;
    m.run(1);
    expect(m.cpu.regs[REG_EAX]).toBe(0x77);
    m.cpu.regs[REG_EAX] = 0x10;
    m.cpu.regs[REG_EBX] = 0x88;
    m.run(1);
    expect(m.cpu.getEflags() & FLAG_ZF).toBe(FLAG_ZF);
    expect([m.memory.read32(0x5000), m.memory.read32(0x5004)]).toEqual([0x88, 0x99]);
    m.cpu.regs[REG_EAX] = 64 + 3; // bit 3 of the dword at esi+8
    m.run(1);
    expect(m.memory.read32(0x5008)).toBe(8);
    expect(m.cpu.getEflags() & FLAG_CF).toBe(0);
  });

  it('CMPXCHG8B mismatch loads EDX:EAX', () => {
    const m = machine([0x0f, 0xc7, 0x0e, HLT]);
    m.memory.write32(0x5000, 1);
    m.memory.write32(0x5004, 2);
    Object.assign(m.cpu.regs, { [REG_ESI]: 0x5000, [REG_EAX]: 5, [REG_EDX]: 6 });
    m.run();
    expect([m.cpu.regs[REG_EAX], m.cpu.regs[REG_EDX]]).toEqual([1, 2]);
    expect(m.cpu.getEflags() & FLAG_ZF).toBe(0);
  });

  it('BOUND raises #BR outside the bounds', () => {
    const m = machine([0x62, 0x06, HLT]); // bound eax,[esi]
    m.memory.write32(0x5000, 10);
    m.memory.write32(0x5004, 20);
    m.cpu.regs[REG_ESI] = 0x5000;
    m.cpu.regs[REG_EAX] = 15;
    m.cpu.setExitVectors(exitBits(5));
    expect(m.run()).toEqual({ kind: 'halt' });
    m.cpu.eip = 0x1000;
    m.cpu.regs[REG_EAX] = 21;
    expect(m.run()).toEqual({ kind: 'vector', vector: 5, errorCode: undefined, cr2: 0, eip: 0x1000 });
  });

  it('DIV by zero and a quotient overflow raise #DE', () => {
    for (const [edx, ebx] of [
      [0, 0],
      [5, 5],
    ]) {
      const m = machine([0xf7, 0xf3, HLT]);
      Object.assign(m.cpu.regs, { [REG_EDX]: edx, [REG_EBX]: ebx });
      m.cpu.setExitVectors(exitBits(0));
      expect(m.run()).toMatchObject({ vector: 0, eip: 0x1000 });
    }
    const m = machine([0xf7, 0xfb, HLT]); // idiv ebx: -2^31 / -1 overflows
    Object.assign(m.cpu.regs, { [REG_EAX]: 0x8000_0000 | 0, [REG_EDX]: -1, [REG_EBX]: -1 });
    m.cpu.setExitVectors(exitBits(0));
    expect(m.run()).toMatchObject({ vector: 0 });
  });

  it('multi-byte NOPs (0F 1F /0) and PAUSE execute as no-ops', () => {
    const m = machine([0x0f, 0x1f, 0x44, 0x00, 0x00, 0xf3, 0x90, 0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0, HLT]);
    expect(m.run()).toEqual({ kind: 'halt' });
    expect(m.cpu.instructionCount).toBe(4);
  });
});

describe('segments and descriptors', () => {
  it('FS/GS segment bases apply, PUSH/POP FS/GS and MOV Sreg', () => {
    const m = protectedMachine([
      0x66,
      0xb8,
      0x40,
      0,
      0x8e,
      0xe0,
      0x64,
      0xa1,
      4,
      0,
      0,
      0,
      0x0f,
      0xa0,
      0x0f,
      0xa9,
      HLT,
    ]);
    const [lo, hi] = descriptor(0x3000, 0xfff, 3, 0); // TLS-like segment at 0x3000
    m.memory.write32(0x540, lo >>> 0);
    m.memory.write32(0x544, hi >>> 0);
    m.cpu.gdtr.limit = 0x47;
    m.memory.write32(0x3004, 0x1234_5678);
    m.run();
    expect(m.cpu.regs[REG_EAX]).toBe(0x1234_5678);
    expect(m.cpu.getSegment(SEG_FS).base).toBe(0x3000);
    expect(m.cpu.getSegment(SEG_GS)).toEqual(m.cpu.getSegment(SEG_FS));
  });

  it('far CALL and far RET through a code descriptor', () => {
    // lcall 0x08:0x2000; hlt   — 0x2000: mov ebx, cs; lret
    const m = protectedMachine([0x9a, ...dd(0x2000), 0x08, 0x00, HLT]);
    m.memory.bytes.set([0x8c, 0xcb, 0xcb], 0x2000);
    m.run();
    expect(m.cpu.regs[REG_EBX] & 0xffff).toBe(SEL.code0);
    expect(m.cpu.eip).toBe(0x1008);
    expect(m.cpu.regs[REG_ESP]).toBe(STACK_TOP);
  });

  it('far JMP to a DPL-3 non-conforming segment from CPL 0 raises #GP(selector)', () => {
    const m = protectedMachine([0xea, ...dd(0x2000), SEL.code3, 0x00]);
    m.cpu.setExitVectors(exitBits(13));
    expect(m.run()).toMatchObject({ vector: 13, errorCode: SEL.code3 & ~3 });
    expect(m.cpu.getSegment(SEG_CS).selector).toBe(SEL.code0);
  });

  it('LAR, LSL, VERR and VERW', () => {
    // lar ebx,eax; lsl ecx,eax; verr ax; setz dl; verw ax; setz dh; hlt
    const code = [
      0x0f,
      0x02,
      0xd8,
      0x0f,
      0x03,
      0xc8,
      0x0f,
      0x00,
      0xe0,
      0x0f,
      0x94,
      0xc2,
      0x0f,
      0x00,
      0xe8,
      0x0f,
      0x94,
      0xc6,
      HLT,
    ];
    const m = protectedMachine(code);
    m.cpu.regs[REG_EAX] = SEL.code3;
    m.run();
    expect(m.cpu.regs[REG_EBX] >>> 0).toBe(0x00c0_fb00); // G, D, P, DPL 3, code
    expect(m.cpu.regs[REG_ECX] >>> 0).toBe(0xffff_ffff);
    expect(m.cpu.regs[REG_EDX] & 0xffff).toBe(0x0001); // readable, not writable
    const n = protectedMachine(code);
    n.cpu.regs[REG_EAX] = 0x48; // beyond the GDT
    n.cpu.regs[REG_EBX] = 7;
    n.run();
    expect(n.cpu.regs[REG_EBX]).toBe(7);
    expect(n.cpu.getEflags() & FLAG_ZF).toBe(0);
  });

  it('SGDT, SIDT, SMSW and STR work at CPL 0 and store what the registers hold', () => {
    const m = protectedMachine([0x0f, 0x01, 0x06, 0x0f, 0x01, 0x0e, 0x0f, 0x01, 0xe0, 0x0f, 0x00, 0xcb, HLT]);
    m.cpu.regs[REG_ESI] = 0x5000;
    m.run(1);
    expect(m.memory.read16(0x5000)).toBe(m.cpu.gdtr.limit);
    expect(m.memory.read32(0x5002)).toBe(m.cpu.gdtr.base);
    m.cpu.regs[REG_ESI] = 0x5010;
    m.run(3);
    expect(m.memory.read16(0x5010)).toBe(0x7ff);
    expect(m.cpu.regs[REG_EAX] >>> 0).toBe(m.cpu.cr0);
    expect(m.cpu.regs[REG_EBX] & 0xffff).toBe(SEL.tss);
  });
});

describe('the opcode table', () => {
  it('describes every implemented form once, with ModRM use and flags', () => {
    let valid = 0;
    for (let i = 0; i < 512; i++) if (OPCODE_FORMS[i] & F_VALID) valid++;
    expect(valid).toBeGreaterThan(300);
    expect(OPCODE_FORMS[0x01] & F_MODRM).toBe(F_MODRM);
    expect(OPCODE_FORMS[0x100 + 0xaf] & F_MODRM).toBe(F_MODRM);
    expect(OPCODE_FORMS[0x100 + 0x34] & F_VALID).toBe(0); // SYSENTER
    expect(FLAGS_READ[0x72] & FLAG_CF).toBe(FLAG_CF); // JB reads CF
    expect(FLAGS_WRITTEN[0x40] & FLAG_CF).toBe(0); // INC keeps CF
  });
});

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
  SEG_DS,
  SEG_SS,
} from './cpu.js';
import { FLAG_IF } from './flags.js';
import {
  dd,
  gate,
  type Machine,
  protectedMachine,
  SEL,
  STACK_TOP,
  setGate,
  TSS_BASE,
} from './test-machine.js';

const HLT = 0xf4;
/** Handler at 0x2000: mov ebx,[esp]; mov ecx,[esp+4]; mov edx,[esp+8]; mov edi,[esp+12]; mov ebp,[esp+16]; pushf; pop esi; hlt */
const RECORD_FRAME = [
  0x8b,
  0x1c,
  0x24,
  0x8b,
  0x4c,
  0x24,
  0x04,
  0x8b,
  0x54,
  0x24,
  0x08,
  0x8b,
  0x7c,
  0x24,
  0x0c,
  0x8b,
  0x6c,
  0x24,
  0x10,
  0x9c,
  0x5e,
  HLT,
];
const HANDLER = 0x2000;

/**
 * Ring-3 entry: push ss; push esp; push eflags; push cs; push eip; iret — lands at 0x1800 in ring 3
 * with ESP 0x7f00 and the given EFLAGS.
 */
function toRing3(eflags = 0x202): number[] {
  return [
    0x6a,
    SEL.data3,
    0x68,
    ...dd(0x7f00),
    0x68,
    ...dd(eflags),
    0x6a,
    SEL.code3,
    0x68,
    ...dd(0x1800),
    0xcf,
  ];
}

function withHandler(code: number[], vector: number, dpl = 0, trap = false): Machine {
  const m = protectedMachine(code);
  m.memory.bytes.set(RECORD_FRAME, HANDLER);
  setGate(m, vector, gate(SEL.code0, HANDLER, dpl, trap));
  return m;
}

describe('IDT delivery', () => {
  it('INT n through an interrupt gate at CPL 0 pushes EIP, CS, EFLAGS and clears IF', () => {
    // sti; int 0x30; hlt
    const m = withHandler([0xfb, 0xcd, 0x30, HLT], 0x30);
    expect(m.run()).toEqual({ kind: 'halt' });
    const r = m.cpu.regs;
    expect(r[REG_EBX]).toBe(0x1003); // return EIP: after the INT
    expect(r[REG_ECX]).toBe(SEL.code0);
    expect(r[REG_EDX] & FLAG_IF).toBe(FLAG_IF);
    expect(r[REG_ESI] & FLAG_IF).toBe(0); // interrupt gate cleared IF
    expect(r[REG_ESP]).toBe(STACK_TOP - 12);
  });

  it('a trap gate leaves IF set', () => {
    const m = withHandler([0xfb, 0xcd, 0x30, HLT], 0x30, 0, true);
    m.run();
    expect(m.cpu.regs[REG_ESI] & FLAG_IF).toBe(FLAG_IF);
  });

  it('#DE reports the faulting instruction and IRET returns to the next', () => {
    // xor edx,edx; div edx (faults); hlt  — handler skips the 2-byte DIV and returns
    const m = protectedMachine([0x31, 0xd2, 0xf7, 0xf2, HLT]);
    // handler: mov ebx,[esp]; add dword [esp], 2; iret
    m.memory.bytes.set([0x8b, 0x1c, 0x24, 0x83, 0x04, 0x24, 0x02, 0xcf], HANDLER);
    setGate(m, 0, gate(SEL.code0, HANDLER, 0));
    expect(m.run()).toEqual({ kind: 'halt' });
    expect(m.cpu.regs[REG_EBX]).toBe(0x1002);
    expect(m.cpu.eip).toBe(0x1005);
    expect(m.cpu.regs[REG_ESP]).toBe(STACK_TOP);
  });

  it('INT n above the gate DPL raises #GP(n*8+2)', () => {
    // ring 3: int 0x30 (gate DPL 0)
    const m = withHandler(toRing3(), 13);
    m.memory.bytes.set([0xcd, 0x30, HLT], 0x1800);
    setGate(m, 0x30, gate(SEL.code0, 0x3000, 0));
    m.run();
    const r = m.cpu.regs;
    expect(r[REG_EBX]).toBe(0x30 * 8 + 2); // error code
    expect(r[REG_ECX]).toBe(0x1800); // faulting EIP: the INT itself
    expect(r[REG_EDX]).toBe(SEL.code3);
  });

  it('a privilege change switches to the TSS ring-0 stack and pushes SS:ESP', () => {
    const m = withHandler(toRing3(), 0x80, 3);
    m.memory.bytes.set([0xcd, 0x80, HLT], 0x1800);
    expect(m.run()).toEqual({ kind: 'halt' });
    const r = m.cpu.regs;
    expect(r[REG_EBX]).toBe(0x1802);
    expect(r[REG_ECX]).toBe(SEL.code3);
    expect(r[REG_EDI]).toBe(0x7f00); // old ESP
    expect(r[REG_EBP]).toBe(SEL.data3); // old SS
    expect(r[REG_ESP]).toBe(0x7000 - 20);
    expect(m.cpu.getSegment(SEG_SS).selector).toBe(SEL.data0);
    expect(m.cpu.getSegment(SEG_CS).selector).toBe(SEL.code0);
  });

  it('switches to the ring-1 stack for a DPL-1 handler', () => {
    const m = protectedMachine(toRing3());
    m.memory.bytes.set([0xcd, 0x80, HLT], 0x1800);
    m.memory.bytes.set([0x8b, 0x1c, 0x24, 0x8c, 0xc8, 0x8c, 0xd1, 0xeb, 0xfe], HANDLER); // mov ebx,[esp]; mov eax,cs; mov ecx,ss; jmp $
    setGate(m, 0x80, gate(SEL.code1, HANDLER, 3));
    m.run(200);
    const r = m.cpu.regs;
    expect(r[REG_EAX] & 0xffff).toBe(SEL.code1);
    expect(r[REG_ECX] & 0xffff).toBe(SEL.data1);
    expect(r[REG_ESP]).toBe(0x6000 - 20);
    expect(m.cpu.cpl).toBe(1);
  });

  it('pushes and pops a ring-switch frame that straddles two pages', () => {
    // mov esp, 0x700c: the IRET frame to ring 3 lies at 0x6ff8–0x700b; and so does the frame the
    // INT from ring 3 pushes on the ring-0 stack, whose top moves to 0x700c as well.
    const m = withHandler([0xbc, ...dd(0x700c), ...toRing3()], 0x80, 3);
    m.memory.write32(TSS_BASE + 4, 0x700c);
    m.memory.bytes.set([0xcd, 0x80, HLT], 0x1800);
    expect(m.run()).toEqual({ kind: 'halt' });
    const r = m.cpu.regs;
    expect(r[REG_EBX]).toBe(0x1802);
    expect(r[REG_ECX]).toBe(SEL.code3);
    expect(r[REG_EDI]).toBe(0x7f00);
    expect(r[REG_EBP]).toBe(SEL.data3);
    expect(r[REG_ESP]).toBe(0x700c - 20);
    expect(m.memory.read32(0x6ffc)).toBe(SEL.code3);
    expect(m.memory.read32(0x7000)).toBe(r[REG_EDX]); // EFLAGS, the first word of the second page
  });

  it('IRET to an outer ring reloads SS:ESP and nulls data segments the ring may not use', () => {
    // mov ax,0x10; mov ds,ax (DPL 0 data); then iret to ring 3; ring 3 code halts -> #GP(0) into handler
    const m = withHandler([0x66, 0xb8, SEL.data0, 0x00, 0x8e, 0xd8, ...toRing3()], 13); // toRing3 keeps DS
    m.memory.bytes.set([HLT], 0x1800);
    m.run();
    const r = m.cpu.regs;
    expect(r[REG_EBX]).toBe(0); // #GP(0) from HLT at CPL 3
    expect(r[REG_ECX]).toBe(0x1800);
    expect(r[REG_EBP]).toBe(0x7f00); // ring-3 ESP, above EFLAGS
    expect(m.cpu.getSegment(SEG_DS).selector).toBe(0); // nulled on the way out
  });
});

describe('INT1', () => {
  it('ICEBP delivers #DB through a DPL-0 gate from CPL 3, returning after it', () => {
    const m = withHandler(toRing3(), 1, 0);
    m.memory.bytes.set([0xf1, HLT], 0x1800);
    m.run();
    expect(m.cpu.regs[REG_EBX]).toBe(0x1801);
    expect(m.cpu.regs[REG_ECX]).toBe(SEL.code3);
  });
});

describe('exits', () => {
  it('an exit vector returns before anything is pushed, with the faulting EIP', () => {
    const m = protectedMachine([0x31, 0xd2, 0xf7, 0xf2, HLT]);
    const bits = new Uint32Array(8);
    bits[0] = 1 << 0;
    m.cpu.setExitVectors(bits);
    expect(m.run()).toEqual({ kind: 'vector', vector: 0, errorCode: undefined, cr2: 0, eip: 0x1002 });
    expect(m.cpu.regs[REG_ESP]).toBe(STACK_TOP);
    expect(m.cpu.eip).toBe(0x1002);
  });

  it('INT n exits after the gate-DPL check with the next EIP', () => {
    const m = protectedMachine(toRing3());
    m.memory.bytes.set([0xcd, 0x80, HLT], 0x1800);
    setGate(m, 0x80, gate(SEL.code0, HANDLER, 3));
    const bits = new Uint32Array(8);
    bits[4] = 1 << 0; // vector 0x80
    m.cpu.setExitVectors(bits);
    expect(m.run()).toEqual({ kind: 'vector', vector: 0x80, errorCode: undefined, cr2: 0, eip: 0x1802 });
    expect(m.cpu.regs[REG_ESP]).toBe(0x7f00);
    expect(m.cpu.cpl).toBe(3);
  });

  it('INT n whose gate DPL is too low exits as #GP with the error code', () => {
    const m = protectedMachine(toRing3());
    m.memory.bytes.set([0xcd, 0x81, HLT], 0x1800);
    setGate(m, 0x81, gate(SEL.code0, HANDLER, 0));
    const bits = new Uint32Array(8);
    bits[0] = 1 << 13;
    bits[4] = 1 << 1;
    m.cpu.setExitVectors(bits);
    expect(m.run()).toEqual({ kind: 'vector', vector: 13, errorCode: 0x81 * 8 + 2, cr2: 0, eip: 0x1800 });
  });

  it('a fault while delivering through a non-exit gate exits as that fault', () => {
    // INT 0x30 whose gate is not present: #NP(0x30*8+2) — vector 11 is an exit.
    const m = protectedMachine([0xcd, 0x30, HLT]);
    setGate(m, 0x30, gate(SEL.code0, HANDLER, 0, false, false));
    const bits = new Uint32Array(8);
    bits[0] = 1 << 11;
    m.cpu.setExitVectors(bits);
    expect(m.run()).toEqual({ kind: 'vector', vector: 11, errorCode: 0x30 * 8 + 2, cr2: 0, eip: 0x1000 });
  });

  it('HLT exits with EIP after it; the budget exit and the counter', () => {
    const m = protectedMachine([0x90, 0x90, HLT, 0x90]);
    expect(m.cpu.run(1)).toEqual({ kind: 'budget' });
    expect(m.cpu.instructionCount).toBe(1);
    expect(m.run()).toEqual({ kind: 'halt' });
    expect(m.cpu.eip).toBe(0x1003);
    expect(m.cpu.instructionCount).toBe(3);
  });

  it('step() executes one instruction', () => {
    const m = protectedMachine([0x40, 0x40, HLT]); // inc eax; inc eax
    expect(m.cpu.step()).toBeUndefined();
    expect(m.cpu.regs[REG_EAX]).toBe(1);
    expect(m.cpu.eip).toBe(0x1001);
  });
});

describe('external interrupts and stop requests', () => {
  it('interrupt(vector) delivers through the IDT without a DPL check and returns to the current EIP', () => {
    const m = withHandler(toRing3(), 0x20, 0);
    m.memory.bytes.set([0x90, 0xeb, 0xfe], 0x1800); // nop; jmp $
    m.run(20);
    expect(m.cpu.cpl).toBe(3);
    const eip = m.cpu.eip;
    expect(m.cpu.interrupt(0x20)).toBeUndefined();
    expect(m.cpu.cpl).toBe(0);
    expect(m.cpu.eip).toBe(HANDLER);
    m.run(10);
    expect(m.cpu.regs[REG_EBX]).toBe(eip);
    expect(m.cpu.regs[REG_ECX]).toBe(SEL.code3);
  });

  it('interrupt(vector) on an exit vector exits with the current EIP', () => {
    const m = protectedMachine([0x90, HLT]);
    const bits = new Uint32Array(8);
    bits[1] = 1; // vector 32
    m.cpu.setExitVectors(bits);
    expect(m.cpu.interrupt(32)).toEqual({
      kind: 'vector',
      vector: 32,
      errorCode: undefined,
      cr2: 0,
      eip: 0x1000,
    });
  });

  it('requestStop() from a port handler ends the run after that instruction', () => {
    let cpuRef: { requestStop(): void } | undefined;
    const m = protectedMachine([0xe6, 0x80, 0x40, HLT], {
      io: { in: () => 0, out: () => cpuRef?.requestStop() },
    });
    cpuRef = m.cpu;
    expect(m.run()).toEqual({ kind: 'stop' });
    expect(m.cpu.eip).toBe(0x1002); // after the OUT, before the INC
    expect(m.run()).toEqual({ kind: 'halt' });
    expect(m.cpu.regs[0]).toBe(1);
  });

  it('a stop requested before an instruction that exits is kept for the next run', () => {
    // int 0x80 (an exit vector); inc eax; int 0x80; inc eax; hlt
    const m = protectedMachine([0xcd, 0x80, 0x40, 0xcd, 0x80, 0x40, HLT]);
    setGate(m, 0x80, gate(SEL.code0, HANDLER, 0));
    const bits = new Uint32Array(8);
    bits[4] = 1; // vector 0x80
    m.cpu.setExitVectors(bits);
    m.cpu.requestStop();
    const exit = { kind: 'vector', vector: 0x80, errorCode: undefined, cr2: 0 };
    expect(m.run()).toEqual({ ...exit, eip: 0x1002 });
    const before = m.cpu.instructionCount;
    expect(m.run()).toEqual({ kind: 'stop' }); // after the INC
    expect(m.cpu.instructionCount - before).toBe(1);
    expect(m.run()).toEqual({ ...exit, eip: 0x1005 });
    expect(m.run()).toEqual({ kind: 'halt' });
    expect(m.cpu.regs[0]).toBe(2);
  });
});

describe('double and triple fault', () => {
  it('a contributory fault while delivering #DE becomes #DF with error code 0', () => {
    // #DE with a not-present gate 0 -> #NP (contributory) -> #DF.
    const m = protectedMachine([0x31, 0xd2, 0xf7, 0xf2, HLT]);
    setGate(m, 0, gate(SEL.code0, HANDLER, 0, false, false));
    m.memory.bytes.set(RECORD_FRAME, HANDLER + 0x100);
    setGate(m, 8, gate(SEL.code0, HANDLER + 0x100, 0));
    expect(m.run()).toEqual({ kind: 'halt' });
    expect(m.cpu.regs[REG_EBX]).toBe(0); // #DF error code
    expect(m.cpu.regs[REG_ECX]).toBe(0x1002);
  });

  it('a fault while delivering #DF is a triple fault', () => {
    const m = protectedMachine([0x31, 0xd2, 0xf7, 0xf2, HLT]);
    m.cpu.idtr.limit = 0; // no gates at all
    expect(m.run()).toEqual({ kind: 'triple-fault' });
  });

  it('an exit for #DF', () => {
    const m = protectedMachine([0x31, 0xd2, 0xf7, 0xf2, HLT]);
    m.cpu.idtr.limit = 0;
    const bits = new Uint32Array(8);
    bits[0] = 1 << 8;
    m.cpu.setExitVectors(bits);
    expect(m.run()).toEqual({ kind: 'vector', vector: 8, errorCode: 0, cr2: 0, eip: 0x1002 });
  });
});

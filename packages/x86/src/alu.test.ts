import { describe, expect, it } from 'vitest';
import { REG_EAX, REG_EBX, REG_ECX, REG_EDX } from './cpu.js';
import { FLAG_CF, FLAG_OF, FLAG_SF, FLAG_ZF } from './flags.js';
import { machine } from './test-machine.js';

const HLT = 0xf4;

describe('integer ALU', () => {
  it('adds, subtracts and compares with exact flags', () => {
    const m = machine([
      0xb8,
      0xff,
      0xff,
      0xff,
      0x7f, // mov eax, 0x7fffffff
      0x83,
      0xc0,
      0x01, //             add eax, 1
      HLT,
    ]);
    expect(m.run()).toEqual({ kind: 'halt' });
    expect(m.cpu.regs[REG_EAX] >>> 0).toBe(0x8000_0000);
    const fl = m.cpu.getEflags();
    expect(fl & FLAG_OF).toBe(FLAG_OF);
    expect(fl & FLAG_SF).toBe(FLAG_SF);
    expect(fl & (FLAG_CF | FLAG_ZF)).toBe(0);
  });

  it('runs a counted loop', () => {
    const m = machine([
      0x31,
      0xc0, //       xor eax, eax
      0xb9,
      0x0a,
      0,
      0,
      0, // mov ecx, 10
      0x01,
      0xc8, //       l: add eax, ecx
      0xe2,
      0xfc, //       loop l
      HLT,
    ]);
    expect(m.run()).toEqual({ kind: 'halt' });
    expect(m.cpu.regs[REG_EAX]).toBe(55);
    expect(m.cpu.regs[REG_ECX]).toBe(0);
  });

  it('multiplies and divides 64-bit', () => {
    const m = machine([
      0xb8,
      0x78,
      0x56,
      0x34,
      0x12, // mov eax, 0x12345678
      0xbb,
      0x00,
      0x00,
      0x01,
      0x00, // mov ebx, 0x10000
      0xf7,
      0xe3, //                   mul ebx
      0xf7,
      0xf3, //                   div ebx
      HLT,
    ]);
    m.run();
    expect(m.cpu.regs[REG_EAX]).toBe(0x12345678);
    expect(m.cpu.regs[REG_EDX]).toBe(0);
    expect(m.cpu.regs[REG_EBX]).toBe(0x10000);
  });
});

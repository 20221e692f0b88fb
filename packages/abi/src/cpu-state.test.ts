import { describe, expect, it } from 'vitest';
import * as cr from './control-registers.js';
import * as gp from './gp-emulation.js';

describe('§6.10 CR0', () => {
  it('pins the bits', () => {
    expect(cr.X86_CR0_PE).toBe(1);
    expect(cr.X86_CR0_MP).toBe(2);
    expect(cr.X86_CR0_EM).toBe(4);
    expect(cr.X86_CR0_TS).toBe(8); // the TS hypercall's "set" value
    expect(cr.X86_CR0_ET).toBe(0x10);
    expect(cr.X86_CR0_NE).toBe(0x20);
    expect(cr.X86_CR0_WP).toBe(0x10000);
    expect(cr.X86_CR0_PG).toBe(0x80000000);
  });

  it('the guest runs with PE|MP|ET|NE|WP|PG and EM, TS clear', () => {
    expect(cr.LGUEST_GUEST_CR0).toBe(0x8001_0033);
    expect(cr.LGUEST_GUEST_CR0 & cr.X86_CR0_EM).toBe(0);
    expect(cr.LGUEST_GUEST_CR0 & cr.X86_CR0_TS).toBe(0);
  });
});

describe('§6.9 #GP emulation', () => {
  it('pins the opcode bytes and IN results', () => {
    expect(gp.GP_OPCODE_CLI).toBe(0xfa);
    expect(gp.GP_PREFIX_OPSIZE).toBe(0x66);
    expect(gp.GP_OPCODE_IN_IMM8).toBe(0xe4);
    expect(gp.GP_OPCODE_IN_DX).toBe(0xec);
    expect(gp.GP_OPCODE_OUT_IMM8).toBe(0xe6);
    expect(gp.GP_OPCODE_OUT_DX).toBe(0xee);
    expect(gp.GP_IN_BYTE_RESULT).toBe(0xff);
    expect(gp.GP_IN_WORD_RESULT).toBe(0xffff);
    expect(gp.GP_IN_DWORD_RESULT).toBe(0xffffffff);
    expect(gp.GP_MOV_FROM_CR).toEqual([0x0f, 0x20]);
    expect(gp.GP_MOV_FROM_CR4_REG).toBe(4);
    expect(gp.GP_MOV_FROM_CR4_LENGTH).toBe(3);
  });

  it('gives port-instruction lengths for both operand widths and 0 for anything else', () => {
    const lengths: Record<number, number> = {
      228: 2,
      229: 2,
      230: 2,
      231: 2,
      236: 1,
      237: 1,
      238: 1,
      239: 1,
    };
    for (let op = 0; op < 256; op++)
      expect([op, gp.portInstructionLength(op)]).toEqual([op, lengths[op] ?? 0]);
  });

  it('recognises mov from CR4 by the reg field only (E0–E7, and any mod)', () => {
    for (let modrm = 0xe0; modrm <= 0xe7; modrm++) expect(gp.isMovFromCr4(modrm)).toBe(true);
    expect(gp.isMovFromCr4(0x20)).toBe(true); // mod 00, reg 4
    expect(gp.isMovFromCr4(0xc0)).toBe(false); // CR0
    expect(gp.isMovFromCr4(0xd8)).toBe(false); // CR3
  });
});

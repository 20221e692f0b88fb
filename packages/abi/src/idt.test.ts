import { describe, expect, it } from 'vitest';
import * as d from './idt.js';

describe('§6 IDT gates', () => {
  it('has 256 eight-byte entries', () => {
    expect(d.IDT_ENTRIES).toBe(256);
    expect(d.IDT_ENTRY_SIZE).toBe(8);
  });

  it('pins gate types: task 5, interrupt 0xE, trap 0xF (§6.1, §6.5, §6.6)', () => {
    expect(d.GATE_TYPE_TASK).toBe(5);
    expect(d.GATE_TYPE_INTERRUPT).toBe(0xe);
    expect(d.GATE_TYPE_TRAP).toBe(0xf);
  });

  it('pins the gate fields', () => {
    expect(d.GATE_LO_OFFSET_MASK).toBe(0xffff);
    expect(d.GATE_LO_SELECTOR_MASK).toBe(0xffff0000);
    expect(d.GATE_LO_SELECTOR_SHIFT).toBe(16);
    expect(d.GATE_HI_OFFSET_MASK).toBe(0xffff0000);
    expect(d.GATE_HI_P).toBe(1 << 15);
    expect(d.GATE_HI_DPL_MASK).toBe(0x6000);
    expect(d.GATE_HI_DPL_SHIFT).toBe(13);
    expect(d.GATE_HI_TYPE_MASK).toBe(0xf00);
    expect(d.GATE_HI_TYPE_SHIFT).toBe(8);
  });

  it('stores lo with selector 0x61 and hi & 0xFFFFEF00 (§6.6 step 5)', () => {
    expect(d.LGUEST_GATE_LO_SELECTOR).toBe(0x00610000);
    expect(d.LGUEST_GATE_HI_KEEP).toBe(0xffffef00);
  });

  it('decodes a Linux interrupt gate', () => {
    // Handler 0xC1234567, selector 0x60, present, DPL 0, interrupt gate.
    const lo = 0x0060_4567;
    const hi = 0xc123_8e00;
    expect(d.gateOffset(lo, hi)).toBe(0xc123_4567);
    expect(d.gateSelector(lo)).toBe(0x60);
    expect(d.gateType(hi)).toBe(d.GATE_TYPE_INTERRUPT);
    expect(d.gateDpl(hi)).toBe(0);
    expect(d.gatePresent(hi)).toBe(true);
    expect(d.gatePresent(hi & ~d.GATE_HI_P)).toBe(false);
    // The syscall trap gate has DPL 3.
    expect(d.gateDpl(0xc123_ef00)).toBe(3);
    expect(d.gateType(0xc123_ef00)).toBe(d.GATE_TYPE_TRAP);
  });

  it('pins the exception vectors', () => {
    expect(d.X86_TRAP_DE).toBe(0);
    expect(d.X86_TRAP_DB).toBe(1);
    expect(d.X86_TRAP_NMI).toBe(2);
    expect(d.X86_TRAP_BP).toBe(3);
    expect(d.X86_TRAP_OF).toBe(4);
    expect(d.X86_TRAP_BR).toBe(5);
    expect(d.X86_TRAP_UD).toBe(6);
    expect(d.X86_TRAP_NM).toBe(7);
    expect(d.X86_TRAP_DF).toBe(8);
    expect(d.X86_TRAP_OLD_MF).toBe(9);
    expect(d.X86_TRAP_TS).toBe(10);
    expect(d.X86_TRAP_NP).toBe(11);
    expect(d.X86_TRAP_SS).toBe(12);
    expect(d.X86_TRAP_GP).toBe(13);
    expect(d.X86_TRAP_PF).toBe(14);
    expect(d.X86_TRAP_SPURIOUS).toBe(15);
    expect(d.X86_TRAP_MF).toBe(16);
    expect(d.X86_TRAP_AC).toBe(17);
    expect(d.X86_TRAP_MC).toBe(18);
    expect(d.X86_TRAP_XM).toBe(19);
    expect(d.LGUEST_TRAP_ENTERING_GUEST).toBe(256);
  });

  it('error-code vectors are 8, 10, 11, 12, 13, 14, 17 (§6.3)', () => {
    expect(d.ERROR_CODE_VECTORS).toEqual([8, 10, 11, 12, 13, 14, 17]);
    const withCode = [];
    for (let v = 0; v < 256; v++) if (d.vectorHasErrorCode(v)) withCode.push(v);
    expect(withCode).toEqual([8, 10, 11, 12, 13, 14, 17]);
  });

  it('LOAD_IDT_ENTRY ignores 2, 8, 15 and 0x1F (§6.6 step 1)', () => {
    expect(d.LGUEST_IGNORED_IDT_VECTORS).toEqual([2, 8, 15, 0x1f]);
    const ignored = [];
    for (let v = 0; v < 300; v++) if (d.isIgnoredIdtVector(v)) ignored.push(v);
    expect(ignored).toEqual([2, 8, 15, 31]);
  });

  it('int n through a too-privileged gate faults with n*8+2 (§6.5)', () => {
    expect(d.softwareInterruptErrorCode(0x1f)).toBe(0xfa);
    expect(d.softwareInterruptErrorCode(0x80)).toBe(0x402);
    expect(d.softwareInterruptErrorCode(255)).toBe(255 * 8 + 2);
  });
});

import { describe, expect, it } from 'vitest';
import * as r from './regs.js';

describe('register frame (struct lguest_regs order)', () => {
  it('is pgdir, ebx, ecx, edx, esi, edi, ebp, gs, eax, fs, ds, es, trapnum, errcode, eip, cs, eflags, esp, ss', () => {
    const order = [
      'pgdir',
      'ebx',
      'ecx',
      'edx',
      'esi',
      'edi',
      'ebp',
      'gs',
      'eax',
      'fs',
      'ds',
      'es',
      'trapnum',
      'errcode',
      'eip',
      'cs',
      'eflags',
      'esp',
      'ss',
    ];
    expect(r.LGUEST_REGS_ORDER).toEqual(order);
    expect(r.LGUEST_REG_PGDIR).toBe(0);
    expect(r.LGUEST_REG_EBX).toBe(1);
    expect(r.LGUEST_REG_ECX).toBe(2);
    expect(r.LGUEST_REG_EDX).toBe(3);
    expect(r.LGUEST_REG_ESI).toBe(4);
    expect(r.LGUEST_REG_EDI).toBe(5);
    expect(r.LGUEST_REG_EBP).toBe(6);
    expect(r.LGUEST_REG_GS).toBe(7);
    expect(r.LGUEST_REG_EAX).toBe(8);
    expect(r.LGUEST_REG_FS).toBe(9);
    expect(r.LGUEST_REG_DS).toBe(10);
    expect(r.LGUEST_REG_ES).toBe(11);
    expect(r.LGUEST_REG_TRAPNUM).toBe(12);
    expect(r.LGUEST_REG_ERRCODE).toBe(13);
    expect(r.LGUEST_REG_EIP).toBe(14);
    expect(r.LGUEST_REG_CS).toBe(15);
    expect(r.LGUEST_REG_EFLAGS).toBe(16);
    expect(r.LGUEST_REG_ESP).toBe(17);
    expect(r.LGUEST_REG_SS).toBe(18);
    expect(r.LGUEST_REGS_COUNT).toBe(19);
    expect(r.LGUEST_REGS_SIZE).toBe(76);
  });

  it('initialLguestRegs gives the §5.5 state', () => {
    const regs = new Uint32Array(r.LGUEST_REGS_COUNT).fill(0xdead_beef);
    expect(r.initialLguestRegs(regs, 0x0100_0000)).toBe(regs);
    const expected: Record<string, number> = {
      pgdir: 0,
      ebx: 0,
      ecx: 0,
      edx: 0,
      esi: 0,
      edi: 0,
      ebp: 0,
      gs: 0,
      eax: 0,
      fs: 0,
      ds: 0x69,
      es: 0x69,
      trapnum: 0,
      errcode: 0,
      eip: 0x0100_0000,
      cs: 0x61,
      eflags: 0x202,
      esp: 0,
      ss: 0x69,
    };
    r.LGUEST_REGS_ORDER.forEach((name, index) => {
      expect([name, regs[index]]).toEqual([name, expected[name]]);
    });
  });

  it('initialLguestRegs keeps eip unsigned and rejects a short frame', () => {
    const regs = new Uint32Array(r.LGUEST_REGS_COUNT);
    r.initialLguestRegs(regs, -1);
    expect(regs[r.LGUEST_REG_EIP]).toBe(0xffff_ffff);
    expect(() => r.initialLguestRegs(new Uint32Array(18), 0)).toThrow(RangeError);
  });

  it('maps x86 register numbers 0-7 to frame words', () => {
    expect(r.LGUEST_REG_OF_X86_REG.map((word) => r.LGUEST_REGS_ORDER[word])).toEqual([
      'eax',
      'ecx',
      'edx',
      'ebx',
      'esp',
      'ebp',
      'esi',
      'edi',
    ]);
  });
});

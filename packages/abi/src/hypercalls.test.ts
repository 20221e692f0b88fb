import { describe, expect, it } from 'vitest';
import * as h from './hypercalls.js';

describe('§3.2 hypercall numbers', () => {
  it('match the table', () => {
    const table: [string, number][] = [
      ['LHCALL_FLUSH_ASYNC', 0],
      ['LHCALL_LGUEST_INIT', 1],
      ['LHCALL_SHUTDOWN', 2],
      ['LHCALL_NEW_PGTABLE', 4],
      ['LHCALL_FLUSH_TLB', 5],
      ['LHCALL_LOAD_IDT_ENTRY', 6],
      ['LHCALL_SET_STACK', 7],
      ['LHCALL_TS', 8],
      ['LHCALL_SET_CLOCKEVENT', 9],
      ['LHCALL_HALT', 10],
      ['LHCALL_SET_PMD', 13],
      ['LHCALL_SET_PTE', 14],
      ['LHCALL_SET_PGD', 15],
      ['LHCALL_LOAD_TLS', 16],
      ['LHCALL_NOTIFY', 17],
      ['LHCALL_LOAD_GDT_ENTRY', 18],
      ['LHCALL_SEND_INTERRUPTS', 19],
    ];
    const values = h as unknown as Record<string, number>;
    for (const [name, value] of table) expect([name, values[name]]).toEqual([name, value]);
    expect(new Set(table.map(([, value]) => value)).size).toBe(table.length);
    // 3 (the old LOAD_GDT), 11 and 12 are not calls in this numbering.
    for (const gap of [3, 11, 12]) expect(table.some(([, value]) => value === gap)).toBe(false);
  });

  it('takes the call number and four arguments in eax, ebx, ecx, edx, esi (§3.1)', () => {
    expect(h.LHCALL_ARG_REGISTERS).toEqual(['eax', 'ebx', 'ecx', 'edx', 'esi']);
    expect(h.LHCALL_ARGS).toBe(5);
  });

  it('uses 0xFF for an empty ring slot and 0 for a request (§3.3)', () => {
    expect(h.LHCALL_STATUS_EMPTY).toBe(0xff);
    expect(h.LHCALL_STATUS_REQUEST).toBe(0);
  });

  it('pins the instruction bytes and the user-mode #GP error code (§3.1)', () => {
    expect(h.LHCALL_INT_BYTES).toEqual([0xcd, 0x1f]);
    expect(h.LHCALL_VMCALL_BYTES).toEqual([0x0f, 0x01, 0xc1]);
    expect(h.LHCALL_VMCALL_PATCH_BYTES).toEqual([0xcd, 0x1f, 0x90]);
    expect(h.LHCALL_USER_GP_ERROR_CODE).toBe(0xfa);
    expect(h.LHCALL_USER_GP_ERROR_CODE).toBe(0x1f * 8 + 2);
  });

  it('reads 24 bytes of TLS descriptors (§1 item 4)', () => {
    expect(h.LHCALL_TLS_SIZE).toBe(24);
  });
});

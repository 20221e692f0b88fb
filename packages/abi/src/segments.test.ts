import { describe, expect, it } from 'vitest';
import * as s from './segments.js';

describe('§5.1 GDT indices', () => {
  it('match the i386 Linux layout', () => {
    expect(s.GDT_ENTRIES).toBe(32);
    expect(s.GDT_ENTRY_SIZE).toBe(8);
    expect(s.GDT_ENTRY_TLS_MIN).toBe(6);
    expect(s.GDT_ENTRY_TLS_ENTRIES).toBe(3);
    expect(s.GDT_ENTRY_LGUEST_CS).toBe(10);
    expect(s.GDT_ENTRY_LGUEST_DS).toBe(11);
    expect(s.GDT_ENTRY_KERNEL_CS).toBe(12);
    expect(s.GDT_ENTRY_KERNEL_DS).toBe(13);
    expect(s.GDT_ENTRY_DEFAULT_USER_CS).toBe(14);
    expect(s.GDT_ENTRY_DEFAULT_USER_DS).toBe(15);
    expect(s.GDT_ENTRY_TSS).toBe(16);
    expect(s.GDT_ENTRY_LDT).toBe(17);
    expect(s.GDT_ENTRY_PNPBIOS_BASE).toBe(18);
    expect(s.GDT_ENTRY_APMBIOS_BASE).toBe(23);
    expect(s.GDT_ENTRY_ESPFIX_SS).toBe(26);
    expect(s.GDT_ENTRY_PERCPU).toBe(27);
    expect(s.GDT_ENTRY_STACK_CANARY).toBe(28);
    expect(s.GDT_ENTRY_PCIBIOS_CS).toBe(29);
    expect(s.GDT_ENTRY_PCIBIOS_DS).toBe(30);
    expect(s.GDT_ENTRY_DOUBLEFAULT_TSS).toBe(31);
  });

  it('host-owned entries are exactly 10, 11, 16 and 31 (§5.2)', () => {
    expect(s.HOST_GDT_ENTRIES).toEqual([10, 11, 16, 31]);
    const owned = [];
    for (let i = -1; i <= 33; i++) if (s.isHostGdtEntry(i)) owned.push(i);
    expect(owned).toEqual([10, 11, 16, 31]);
  });
});

describe('§5.1 selectors', () => {
  it('match the spec', () => {
    expect(s.LGUEST_CS).toBe(0x50);
    expect(s.LGUEST_DS).toBe(0x58);
    expect(s.KERNEL_CS).toBe(0x60);
    expect(s.KERNEL_DS).toBe(0x68);
    expect(s.GUEST_KERNEL_CS).toBe(0x61);
    expect(s.GUEST_KERNEL_DS).toBe(0x69);
    expect(s.GUEST_USER_CS).toBe(0x73);
    expect(s.GUEST_USER_DS).toBe(0x7b);
    expect(s.GUEST_TLS_SELECTOR).toBe(0x33);
  });

  it('are index << 3 | rpl', () => {
    expect(s.selector(s.GDT_ENTRY_LGUEST_CS, 0)).toBe(s.LGUEST_CS);
    expect(s.selector(s.GDT_ENTRY_LGUEST_DS, 0)).toBe(s.LGUEST_DS);
    expect(s.selector(s.GDT_ENTRY_KERNEL_CS, 1)).toBe(s.GUEST_KERNEL_CS);
    expect(s.selector(s.GDT_ENTRY_KERNEL_DS, 1)).toBe(s.GUEST_KERNEL_DS);
    expect(s.selector(s.GDT_ENTRY_DEFAULT_USER_CS, 3)).toBe(s.GUEST_USER_CS);
    expect(s.selector(s.GDT_ENTRY_DEFAULT_USER_DS, 3)).toBe(s.GUEST_USER_DS);
    expect(s.selector(s.GDT_ENTRY_TLS_MIN, 3)).toBe(s.GUEST_TLS_SELECTOR);
    expect(s.SELECTOR_RPL_MASK).toBe(3);
    expect(s.SELECTOR_TI).toBe(4);
    expect(s.SELECTOR_INDEX_SHIFT).toBe(3);
  });
});

describe('descriptor bit fields', () => {
  it('pin the sanitising bits of §5.3', () => {
    expect(s.DESC_HI_DPL_MASK).toBe(0x6000); // bits 13–14
    expect(s.DESC_HI_DPL_SHIFT).toBe(13);
    expect(s.DESC_HI_DPL1).toBe(0x2000);
    expect(s.DESC_HI_ACCESSED).toBe(0x0100);
  });

  it('pin the rest of the high and low words', () => {
    expect(s.DESC_HI_BASE_MID_MASK).toBe(0xff);
    expect(s.DESC_HI_TYPE_MASK).toBe(0xf00);
    expect(s.DESC_HI_TYPE_SHIFT).toBe(8);
    expect(s.DESC_HI_S).toBe(0x1000);
    expect(s.DESC_HI_P).toBe(0x8000);
    expect(s.DESC_HI_LIMIT_HIGH_MASK).toBe(0xf0000);
    expect(s.DESC_HI_AVL).toBe(0x100000);
    expect(s.DESC_HI_DB).toBe(0x400000);
    expect(s.DESC_HI_G).toBe(0x800000);
    expect(s.DESC_HI_BASE_HIGH_MASK).toBe(0xff000000);
    expect(s.DESC_LO_LIMIT_MASK).toBe(0xffff);
    expect(s.DESC_LO_BASE_MASK).toBe(0xffff0000);
  });

  it('decode the §5.2 and §5.5 descriptors', () => {
    expect(s.FLAT_SEGMENT_LO).toBe(0x0000ffff);
    expect(s.LGUEST_CS_HI).toBe(0x00cf9b00);
    expect(s.LGUEST_DS_HI).toBe(0x00cf9300);
    expect(s.INITIAL_KERNEL_CS_HI).toBe(0x00cfbb00);
    expect(s.INITIAL_KERNEL_DS_HI).toBe(0x00cfb300);
    for (const hi of [s.LGUEST_CS_HI, s.LGUEST_DS_HI, s.INITIAL_KERNEL_CS_HI, s.INITIAL_KERNEL_DS_HI]) {
      expect(s.descriptorBase(s.FLAT_SEGMENT_LO, hi)).toBe(0);
      expect(s.descriptorLimit(s.FLAT_SEGMENT_LO, hi)).toBe(0xffff_ffff);
    }
    expect(s.descriptorDpl(s.LGUEST_CS_HI)).toBe(0);
    expect(s.descriptorDpl(s.LGUEST_DS_HI)).toBe(0);
    expect(s.descriptorDpl(s.INITIAL_KERNEL_CS_HI)).toBe(1);
    expect(s.descriptorDpl(s.INITIAL_KERNEL_DS_HI)).toBe(1);
    expect(s.descriptorType(s.INITIAL_KERNEL_CS_HI)).toBe(0xb); // code, readable, accessed
    expect(s.descriptorType(s.INITIAL_KERNEL_DS_HI)).toBe(0x3); // data, writable, accessed
  });

  it('decode base and byte-granular limit from both words', () => {
    // base 0x12345678, limit 0x0ABCD, byte granularity, DPL 3.
    const lo = 0x5678_abcd;
    const hi = 0x1200_f234;
    expect(s.descriptorBase(lo, hi)).toBe(0x1234_5678);
    expect(s.descriptorLimit(lo, hi)).toBe(0x0abcd);
    expect(s.descriptorDpl(hi)).toBe(3);
    expect(s.descriptorType(hi)).toBe(2);
  });
});

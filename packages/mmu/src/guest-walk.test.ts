import { PAGE_ACCESSED, PAGE_PRESENT } from '@lguest/abi';
import { describe, expect, it } from 'vitest';
import { Guest, PDE_TABLE } from '../test/guest.js';
import { BAD_GPA } from './index.js';

const DIR = 0x1000;
const TABLE = 0x10000;

describe('guest_pa (§7.3)', () => {
  it('is the identity in linear mode', () => {
    const g = new Guest(16);
    expect(g.mmu.guestPa(0xc012_3456)).toBe(0xc012_3456);
    expect(g.killer.dead).toBe(false);
  });

  it('walks the current guest directory without side effects', () => {
    const g = new Guest();
    g.mmu.newPgtable(DIR);
    g.map(DIR, TABLE, 0xc000_5000, 0x0030_0000, PAGE_PRESENT);
    expect(g.mmu.guestPa(0xc000_5abc)).toBe(0x0030_0abc);
    expect(g.pte(TABLE, 0xc000_5000)).toBe(0x0030_0000 | PAGE_PRESENT);
    expect(g.pde(DIR, 0xc000_5000)).toBe(TABLE | PDE_TABLE);
    expect(g.access(0xc000_5000).ok).toBe(false);
    expect(g.pte(TABLE, 0xc000_5000) & PAGE_ACCESSED).toBe(0);
  });

  it('kills "Bad address" on a missing directory or table entry', () => {
    const g = new Guest();
    g.mmu.newPgtable(DIR);
    expect(g.mmu.guestPa(0x0804_8000)).toBe(BAD_GPA);
    expect(g.killer.reason).toBe('Bad address 0x08048000 (page directory entry 0x00000000 not present)');
    const h = new Guest();
    h.mmu.newPgtable(DIR);
    h.setPde(DIR, 0x0804_8000, TABLE | PDE_TABLE);
    expect(h.mmu.guestPa(0x0804_8123)).toBe(BAD_GPA);
    expect(h.killer.reason).toBe('Bad address 0x08048123 (page table entry 0x00000000 not present)');
    expect(h.memory.addressOk(BAD_GPA, 1)).toBe(false);
  });

  it('kills when a table lies outside guest memory', () => {
    const g = new Guest(64);
    g.mmu.newPgtable(DIR);
    g.setPde(DIR, 0x0804_8000, 0x0800_0000 | PDE_TABLE);
    expect(g.mmu.guestPa(0x0804_8000)).toBe(BAD_GPA);
    expect(g.killer.reason).toBe('bad read address 0x08000120 len 4 (guest page table)');
  });
});

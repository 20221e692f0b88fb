import {
  PAGE_ACCESSED,
  PAGE_DIRTY,
  PAGE_GLOBAL,
  PAGE_PRESENT,
  PAGE_PSE,
  PAGE_RW,
  PAGE_USER,
} from '@lguest/abi';
import {
  ACCESS_FETCH,
  ACCESS_READ,
  ACCESS_WRITE,
  PF_PRESENT,
  PF_USER,
  PF_WRITE,
  TRANSLATE_FAULT,
} from '@lguest/x86';
import { describe, expect, it } from 'vitest';
import { Guest, KERNEL, PDE_TABLE } from '../test/guest.js';

const DIR = 0x1000;
const TABLE = 0x10000;
const DATA = 0x100000;
const USER_VA = 0x0804_8000;

/** A guest past linear mode, with directory DIR loaded. */
function paged(pages = 1024, pfnLimit = pages): Guest {
  const g = new Guest(pages, pfnLimit);
  g.mmu.newPgtable(DIR);
  g.tlb.reset();
  return g;
}

describe('linear mode (§7.1)', () => {
  it('maps every virtual page to the same guest-physical page, supervisor read/write, until NEW_PGTABLE', () => {
    const g = new Guest();
    expect(g.mmu.linear).toBe(true);
    expect(g.mmu.pgdir).toBeUndefined();
    // Nothing is mapped until the first fault: translations come only from the shadow tables.
    expect(g.access(0x5123)).toMatchObject({ ok: false, error: TRANSLATE_FAULT });
    expect(g.mmu.demandPage(0x5123, 0)).toBe(true);
    // A read fault installs the page clean, hence read-only; the first write faults again.
    expect(g.access(0x5123)).toMatchObject({
      ok: true,
      frame: g.frame(0x5000),
      writable: false,
      user: false,
    });
    expect(g.access(0x5123, ACCESS_WRITE)).toMatchObject({
      ok: false,
      error: TRANSLATE_FAULT | PF_WRITE | PF_PRESENT,
    });
    expect(g.mmu.demandPage(0x5123, PF_WRITE)).toBe(true);
    expect(g.access(0x5123, ACCESS_WRITE)).toMatchObject({
      ok: true,
      frame: g.frame(0x5000),
      writable: true,
    });
    expect(g.mmu.guestPa(0x5123)).toBe(0x5123);
    expect(g.killer.dead).toBe(false);
  });

  it('refuses CPL-3 accesses (the linear PTE is supervisor-only)', () => {
    const g = new Guest();
    expect(g.mmu.demandPage(0x5000, PF_USER)).toBe(false);
    expect(g.mmu.demandPage(0x5000, 0)).toBe(true);
    expect(g.access(0x5000, ACCESS_READ, true)).toMatchObject({
      ok: false,
      error: TRANSLATE_FAULT | PF_USER | PF_PRESENT,
    });
  });

  it('kills on a page beyond pfn_limit and never maps the switcher region', () => {
    const g = new Guest(16);
    expect(g.mmu.demandPage(0xfff0_0000, 0)).toBe(false);
    expect(g.killer.dead).toBe(false);
    expect(g.mmu.demandPage(0x0001_0000, 0)).toBe(false);
    expect(g.killer.reason).toBe('bad page table entry 0x00010003 for 0x00010000');
  });

  it('leaves linear mode at the first NEW_PGTABLE', () => {
    const g = new Guest();
    g.mmu.demandPage(0x5000, PF_WRITE);
    g.mmu.newPgtable(DIR);
    expect(g.mmu.linear).toBe(false);
    expect(g.mmu.pgdir).toBe(DIR);
    expect(g.access(0x5000).ok).toBe(false);
    expect(g.tlb.all).toBe(1);
  });
});

describe('demand paging through the guest tables (§7.3)', () => {
  it('maps a present page on a read fault, sets A, keeps it read-only until dirty', () => {
    const g = paged();
    g.map(DIR, TABLE, USER_VA, DATA, PAGE_PRESENT | PAGE_RW | PAGE_USER);
    expect(g.access(USER_VA, ACCESS_READ, true).ok).toBe(false);
    expect(g.mmu.demandPage(USER_VA + 0x10, PF_USER)).toBe(true);
    expect(g.pte(TABLE, USER_VA)).toBe(DATA | PAGE_PRESENT | PAGE_RW | PAGE_USER | PAGE_ACCESSED);
    expect(g.access(USER_VA, ACCESS_READ, true)).toMatchObject({
      ok: true,
      frame: g.frame(DATA),
      writable: false,
      user: true,
    });
    // Write after read: faults (present, write, user), the host sets D and now allows writes.
    expect(g.access(USER_VA, ACCESS_WRITE, true).error).toBe(
      TRANSLATE_FAULT | PF_PRESENT | PF_WRITE | PF_USER,
    );
    expect(g.mmu.demandPage(USER_VA, PF_PRESENT | PF_WRITE | PF_USER)).toBe(true);
    expect(g.pte(TABLE, USER_VA)).toBe(
      DATA | PAGE_PRESENT | PAGE_RW | PAGE_USER | PAGE_ACCESSED | PAGE_DIRTY,
    );
    expect(g.access(USER_VA, ACCESS_WRITE, true)).toMatchObject({ ok: true, writable: true, user: true });
    expect(g.killer.dead).toBe(false);
  });

  it('maps a write fault writable at once and sets A and D', () => {
    const g = paged();
    g.map(DIR, TABLE, USER_VA, DATA, PAGE_PRESENT | PAGE_RW);
    expect(g.mmu.demandPage(USER_VA, PF_WRITE)).toBe(true);
    expect(g.pte(TABLE, USER_VA)).toBe(DATA | PAGE_PRESENT | PAGE_RW | PAGE_ACCESSED | PAGE_DIRTY);
    expect(g.access(USER_VA, ACCESS_WRITE)).toMatchObject({ ok: true, writable: true, user: false });
  });

  it('maps an already dirty page writable on a read fault', () => {
    const g = paged();
    g.map(DIR, TABLE, USER_VA, DATA, PAGE_PRESENT | PAGE_RW | PAGE_DIRTY);
    expect(g.mmu.demandPage(USER_VA, 0)).toBe(true);
    expect(g.access(USER_VA, ACCESS_WRITE)).toMatchObject({ ok: true, writable: true });
  });

  it('never grants more than the guest entry: read-only stays read-only, supervisor stays supervisor', () => {
    const g = paged();
    g.map(DIR, TABLE, USER_VA, DATA, PAGE_PRESENT | PAGE_DIRTY | PAGE_ACCESSED);
    expect(g.mmu.demandPage(USER_VA, PF_WRITE)).toBe(false);
    expect(g.mmu.demandPage(USER_VA, PF_USER)).toBe(false);
    expect(g.pte(TABLE, USER_VA)).toBe(DATA | PAGE_PRESENT | PAGE_DIRTY | PAGE_ACCESSED);
    expect(g.mmu.demandPage(USER_VA, 0)).toBe(true);
    expect(g.access(USER_VA)).toMatchObject({ ok: true, writable: false, user: false });
    expect(g.access(USER_VA, ACCESS_WRITE).ok).toBe(false);
    expect(g.access(USER_VA, ACCESS_FETCH, true).ok).toBe(false);
  });

  it('combines the PDE rights with the PTE rights, as the hardware does', () => {
    const g = paged();
    g.map(
      DIR,
      TABLE,
      USER_VA,
      DATA,
      PAGE_PRESENT | PAGE_RW | PAGE_USER | PAGE_DIRTY,
      PAGE_PRESENT | PAGE_ACCESSED,
    );
    expect(g.mmu.demandPage(USER_VA, PF_WRITE)).toBe(false);
    expect(g.mmu.demandPage(USER_VA, PF_USER)).toBe(false);
    expect(g.mmu.demandPage(USER_VA, 0)).toBe(true);
    expect(g.access(USER_VA)).toMatchObject({ ok: true, writable: false, user: false });
  });

  it('handles kernel addresses and ignores the G bit', () => {
    const g = paged();
    const va = KERNEL + 0x12_3000;
    g.map(DIR, TABLE, va, DATA, PAGE_PRESENT | PAGE_RW | PAGE_GLOBAL);
    expect(g.mmu.demandPage(va, PF_WRITE)).toBe(true);
    expect(g.access(va, ACCESS_WRITE)).toMatchObject({
      ok: true,
      frame: g.frame(DATA),
      writable: true,
      user: false,
    });
    expect(g.access(va, ACCESS_READ, true).ok).toBe(false);
  });

  it('reflects not-present directory and table entries without killing', () => {
    const g = paged();
    expect(g.mmu.demandPage(USER_VA, 0)).toBe(false);
    g.setPde(DIR, USER_VA, TABLE | PDE_TABLE);
    expect(g.mmu.demandPage(USER_VA, 0)).toBe(false);
    g.setPte(TABLE, USER_VA, DATA | PAGE_RW);
    expect(g.mmu.demandPage(USER_VA, 0)).toBe(false);
    expect(g.killer.dead).toBe(false);
  });

  it('never caches "not present": a PTE the guest fills silently works at the next fault', () => {
    const g = paged();
    g.setPde(DIR, USER_VA, TABLE | PDE_TABLE);
    expect(g.mmu.demandPage(USER_VA, 0)).toBe(false);
    g.setPte(TABLE, USER_VA, DATA | PAGE_PRESENT);
    expect(g.mmu.demandPage(USER_VA, 0)).toBe(true);
  });

  it('never maps the switcher region even when the guest tables do', () => {
    const g = paged();
    const va = 0xffc0_1000;
    g.map(DIR, TABLE, va, DATA, PAGE_PRESENT | PAGE_RW | PAGE_DIRTY);
    expect(g.mmu.demandPage(va, 0)).toBe(false);
    expect(g.access(va).ok).toBe(false);
    expect(g.killer.dead).toBe(false);
    // With a switcher lower in the space, the region below it still works.
    const h = new Guest(1024, 1024, { switcherAddr: 0xffbf_f000 });
    h.mmu.newPgtable(DIR);
    h.map(DIR, TABLE, 0xffbf_e000, DATA, PAGE_PRESENT);
    h.map(DIR, TABLE, 0xffbf_f000, DATA, PAGE_PRESENT);
    expect(h.mmu.demandPage(0xffbf_e000, 0)).toBe(true);
    expect(h.mmu.demandPage(0xffbf_f000, 0)).toBe(false);
    expect(h.mmu.reserveMem).toBe(0x401000);
  });
});

describe('kill conditions of demand paging (§7.2, Appendix A)', () => {
  it('kills on a PDE with a flag outside P|RW|US|A|D', () => {
    const g = paged();
    g.map(DIR, TABLE, USER_VA, DATA, PAGE_PRESENT, PDE_TABLE | PAGE_PSE);
    expect(g.mmu.demandPage(USER_VA, 0)).toBe(false);
    expect(g.killer.reason).toBe('bad page directory entry 0x000100e7 for 0x08048000');
  });

  it('kills on a PDE whose pfn is beyond pfn_limit', () => {
    const g = paged(1024, 512);
    g.map(DIR, 0x200000, USER_VA, DATA, PAGE_PRESENT);
    expect(g.mmu.demandPage(USER_VA, 0)).toBe(false);
    expect(g.killer.reason).toBe('bad page directory entry 0x00200067 for 0x08048000');
  });

  it('kills on a PTE with the PSE/PAT bit', () => {
    const g = paged();
    g.map(DIR, TABLE, USER_VA, DATA, PAGE_PRESENT | PAGE_PSE);
    expect(g.mmu.demandPage(USER_VA, 0)).toBe(false);
    expect(g.killer.reason).toBe('bad page table entry 0x00100081 for 0x08048000');
  });

  it('kills on a PTE whose pfn is beyond pfn_limit', () => {
    const g = paged(1024, 512);
    g.map(DIR, TABLE, USER_VA, 0x3ff000, PAGE_PRESENT);
    expect(g.mmu.demandPage(USER_VA, 0)).toBe(false);
    expect(g.killer.reason).toBe('bad page table entry 0x003ff001 for 0x08048000');
    expect(g.access(USER_VA).ok).toBe(false);
  });

  it('checks rights before validity: a bad entry the access may not use is only reflected', () => {
    const g = paged(1024, 512);
    g.map(DIR, TABLE, USER_VA, 0x3ff000, PAGE_PRESENT);
    expect(g.mmu.demandPage(USER_VA, PF_WRITE)).toBe(false);
    expect(g.killer.dead).toBe(false);
  });

  it('kills when the directory itself is outside guest memory', () => {
    const g = new Guest(64);
    g.mmu.newPgtable(0xffff_f000);
    expect(g.killer.reason).toBe(undefined);
    expect(g.mmu.demandPage(0xc000_0000, 0)).toBe(false);
    expect(g.killer.reason).toBe('bad read address 0xfffffc00 len 4 (guest page table)');
    // A directory gpa near 2^32 plus the entry offset must not wrap around to low (valid) memory.
    const h = new Guest(64);
    h.mmu.newPgtable(0xffff_fff0);
    expect(h.mmu.demandPage(0x0100_0000, 0)).toBe(false);
    expect(h.killer.reason).toBe('bad read address 0x100000000 len 4 (guest page table)');
  });

  it('kills when no host frame can be obtained for the page', () => {
    const g = new Guest(1024, 1024, { frames: { frame: () => undefined } });
    g.mmu.newPgtable(DIR);
    g.map(DIR, TABLE, USER_VA, DATA, PAGE_PRESENT);
    expect(g.mmu.demandPage(USER_VA, 0)).toBe(false);
    expect(g.killer.reason).toBe('cannot get page 0x00100000 for 0x08048000');
  });
});

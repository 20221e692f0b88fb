import {
  PAGE_ACCESSED,
  PAGE_DIRTY,
  PAGE_GLOBAL,
  PAGE_PRESENT,
  PAGE_PSE,
  PAGE_RW,
  PAGE_USER,
} from '@lguest/abi';
import { ACCESS_READ, ACCESS_WRITE, PF_USER, PF_WRITE } from '@lguest/x86';
import { describe, expect, it } from 'vitest';
import { Guest, KERNEL, PDE_TABLE } from '../test/guest.js';

// Six guest directories (more than the four cached), one shared kernel page table, per-directory user tables.
const DIRS = [0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000];
const KTABLE = 0x10000;
const UTABLE = (i: number) => 0x20000 + i * 0x1000;
const DATA = 0x100000;
const UVA = 0x0804_8000;
const KVA = KERNEL + 0x5000;

/** A guest whose six directories each map UVA → DATA + i pages and share KVA → DATA. */
function guest(): Guest {
  const g = new Guest();
  DIRS.forEach((dir, i) => {
    g.map(dir, UTABLE(i), UVA, DATA + 0x1000 * (i + 1), PAGE_PRESENT | PAGE_RW | PAGE_USER);
    g.setPde(dir, KVA, KTABLE | PDE_TABLE);
  });
  g.setPte(KTABLE, KVA, DATA | PAGE_PRESENT | PAGE_RW | PAGE_GLOBAL);
  return g;
}

describe('the directory cache (§7.4)', () => {
  it('hits: switching back to a cached directory keeps its shadow entries', () => {
    const g = guest();
    g.mmu.newPgtable(DIRS[0]);
    expect(g.mmu.demandPage(UVA, PF_USER)).toBe(true);
    g.mmu.newPgtable(DIRS[1]);
    expect(g.access(UVA, ACCESS_READ, true).ok).toBe(false);
    expect(g.mmu.demandPage(UVA, PF_USER)).toBe(true);
    expect(g.access(UVA, ACCESS_READ, true).frame).toBe(g.frame(DATA + 0x2000));
    g.tlb.reset();
    g.mmu.newPgtable(DIRS[0]);
    expect(g.tlb.all).toBe(1);
    expect(g.access(UVA, ACCESS_READ, true)).toMatchObject({ ok: true, frame: g.frame(DATA + 0x1000) });
    expect(g.mmu.cachedPgdirs).toEqual([DIRS[0], DIRS[1], undefined, undefined]);
    // Loading the directory already current changes nothing, not even the TLB.
    g.tlb.reset();
    g.mmu.newPgtable(DIRS[0]);
    expect(g.tlb.all).toBe(0);
  });

  it('misses evict round-robin; a reused slot keeps its kernel part and drops its user part', () => {
    const g = guest();
    for (const dir of DIRS.slice(0, 4)) {
      g.mmu.newPgtable(dir);
      expect(g.mmu.demandPage(UVA, PF_USER)).toBe(true);
      expect(g.mmu.demandPage(KVA, PF_WRITE)).toBe(true);
    }
    expect(g.mmu.cachedPgdirs).toEqual(DIRS.slice(0, 4));
    g.mmu.newPgtable(DIRS[4]);
    expect(g.mmu.cachedPgdirs).toEqual([DIRS[4], DIRS[1], DIRS[2], DIRS[3]]);
    expect(g.mmu.pgdir).toBe(DIRS[4]);
    // DIRS[0]'s user mapping must not leak into DIRS[4]; the shared kernel mapping is kept.
    expect(g.access(UVA, ACCESS_READ, true).ok).toBe(false);
    expect(g.access(KVA, ACCESS_WRITE)).toMatchObject({ ok: true, frame: g.frame(DATA) });
    expect(g.mmu.demandPage(UVA, PF_USER)).toBe(true);
    expect(g.access(UVA, ACCESS_READ, true).frame).toBe(g.frame(DATA + 0x5000));
    g.mmu.newPgtable(DIRS[5]);
    expect(g.mmu.cachedPgdirs).toEqual([DIRS[4], DIRS[5], DIRS[2], DIRS[3]]);
    // The evicted directory is a miss again: it comes back without its old user entries.
    g.mmu.newPgtable(DIRS[0]);
    expect(g.mmu.cachedPgdirs).toEqual([DIRS[4], DIRS[5], DIRS[0], DIRS[3]]);
    expect(g.access(UVA, ACCESS_READ, true).ok).toBe(false);
  });

  it('evicting the current slot drops its user part under the CPU and tells the TLB', () => {
    const g = new Guest(1024, 1024, { cachedDirectories: 1 });
    DIRS.forEach((dir, i) => {
      g.map(dir, UTABLE(i), UVA, DATA + 0x1000 * (i + 1), PAGE_PRESENT | PAGE_USER);
    });
    g.mmu.newPgtable(DIRS[0]);
    g.mmu.demandPage(UVA, PF_USER);
    g.tlb.reset();
    g.mmu.newPgtable(DIRS[1]);
    expect(g.tlb.all).toBeGreaterThan(0);
    expect(g.access(UVA, ACCESS_READ, true).ok).toBe(false);
  });
});

describe('SET_PTE (§7.5)', () => {
  it('keeps two cached directories sharing a kernel page table coherent', () => {
    const g = guest();
    g.mmu.newPgtable(DIRS[0]);
    g.mmu.demandPage(KVA, PF_WRITE);
    g.mmu.newPgtable(DIRS[1]);
    g.mmu.demandPage(KVA, PF_WRITE);
    g.tlb.reset();
    // The guest remaps KVA (through directory 0's gpa): both shadows change, and the current one tells the TLB.
    const pte = (DATA + 0x9000) | PAGE_PRESENT | PAGE_RW | PAGE_ACCESSED | PAGE_DIRTY;
    g.setPte(KTABLE, KVA, pte);
    g.mmu.setPte(DIRS[0], KVA, pte);
    expect(g.tlb.pages).toEqual([KVA, KVA]);
    expect(g.access(KVA, ACCESS_WRITE)).toMatchObject({ ok: true, frame: g.frame(DATA + 0x9000) });
    g.mmu.newPgtable(DIRS[0]);
    expect(g.access(KVA, ACCESS_WRITE)).toMatchObject({ ok: true, frame: g.frame(DATA + 0x9000) });
    // Unmapping (Linux's flush_tlb_single is SET_PTE(cr3, addr, 0)) removes it everywhere.
    g.mmu.setPte(DIRS[0], KVA, 0);
    expect(g.access(KVA).ok).toBe(false);
    g.mmu.newPgtable(DIRS[1]);
    expect(g.access(KVA).ok).toBe(false);
    expect(g.killer.dead).toBe(false);
  });

  it('changes a user address only in the directory tagged pgdir; an uncached pgdir is ignored', () => {
    const g = guest();
    g.mmu.newPgtable(DIRS[0]);
    g.mmu.demandPage(UVA, PF_USER);
    g.mmu.newPgtable(DIRS[1]);
    g.mmu.demandPage(UVA, PF_USER);
    g.tlb.reset();
    g.mmu.setPte(DIRS[0], UVA, 0);
    expect(g.tlb.pages).toEqual([]);
    expect(g.access(UVA, ACCESS_READ, true).ok).toBe(true);
    g.mmu.setPte(DIRS[5], UVA, 0);
    expect(g.access(UVA, ACCESS_READ, true).ok).toBe(true);
    g.mmu.newPgtable(DIRS[0]);
    expect(g.access(UVA, ACCESS_READ, true).ok).toBe(false);
  });

  it('pre-installs an accessed entry with the guest flags minus G, write-protected until dirty', () => {
    const g = guest();
    g.mmu.newPgtable(DIRS[0]);
    g.mmu.demandPage(UVA, PF_USER);
    g.mmu.setPte(
      DIRS[0],
      UVA + 0x1000,
      (DATA + 0x7000) | PAGE_PRESENT | PAGE_RW | PAGE_USER | PAGE_ACCESSED | PAGE_GLOBAL,
    );
    expect(g.access(UVA + 0x1000, ACCESS_READ, true)).toMatchObject({
      ok: true,
      frame: g.frame(DATA + 0x7000),
      writable: false,
      user: true,
    });
    g.mmu.setPte(DIRS[0], UVA + 0x2000, (DATA + 0x8000) | PAGE_PRESENT | PAGE_RW | PAGE_DIRTY);
    expect(g.access(UVA + 0x2000, ACCESS_WRITE)).toMatchObject({ ok: true, writable: true, user: false });
    // Neither A nor D: left to fault in.
    g.mmu.setPte(DIRS[0], UVA + 0x3000, (DATA + 0x8000) | PAGE_PRESENT | PAGE_RW);
    expect(g.access(UVA + 0x3000).ok).toBe(false);
    // A non-present entry maps nothing, whatever its other bits say.
    g.mmu.setPte(DIRS[0], UVA + 0x4000, 0xfffff000 | PAGE_ACCESSED);
    expect(g.access(UVA + 0x4000).ok).toBe(false);
    expect(g.killer.dead).toBe(false);
  });

  it('does nothing where no shadow page table covers the address yet', () => {
    const g = guest();
    g.mmu.newPgtable(DIRS[0]);
    g.mmu.setPte(DIRS[0], UVA, DATA | PAGE_PRESENT | PAGE_ACCESSED | PAGE_DIRTY);
    expect(g.access(UVA).ok).toBe(false);
    expect(g.tlb.pages).toEqual([]);
  });

  it('kills for a pre-installed entry beyond pfn_limit or with PSE, and for the switcher region', () => {
    const g = guest();
    g.mmu.newPgtable(DIRS[0]);
    g.mmu.demandPage(UVA, PF_USER);
    g.mmu.setPte(DIRS[0], UVA, 0x0400_0000 | PAGE_PRESENT | PAGE_ACCESSED);
    expect(g.killer.reason).toBe('bad page table entry 0x04000021 for 0x08048000');
    const h = guest();
    h.mmu.newPgtable(DIRS[0]);
    h.mmu.demandPage(UVA, PF_USER);
    h.mmu.setPte(DIRS[0], UVA, DATA | PAGE_PRESENT | PAGE_ACCESSED | PAGE_PSE);
    expect(h.killer.reason).toBe('bad page table entry 0x001000a1 for 0x08048000');
    const k = guest();
    k.mmu.newPgtable(DIRS[0]);
    k.mmu.setPte(DIRS[0], 0xffc0_0000, 0);
    expect(k.killer.reason).toBe('attempt to set pte into Switcher pages at 0xffc00000');
  });
});

describe('SET_PGD (§7.5)', () => {
  it('drops the shadow page table under the index and invalidates exactly its mapped pages', () => {
    const g = guest();
    g.mmu.newPgtable(DIRS[0]);
    g.setPte(UTABLE(0), UVA + 0x1000, (DATA + 0x9000) | PAGE_PRESENT);
    g.mmu.demandPage(UVA, PF_USER);
    g.mmu.demandPage(UVA + 0x1000, 0);
    g.mmu.demandPage(KVA, 0);
    g.tlb.reset();
    g.mmu.setPgd(DIRS[0], UVA >>> 22);
    expect(g.tlb.pages).toEqual([UVA, UVA + 0x1000]);
    expect(g.access(UVA, ACCESS_READ, true).ok).toBe(false);
    expect(g.access(UVA + 0x1000).ok).toBe(false);
    expect(g.access(KVA).ok).toBe(true);
  });

  it('ignores an uncached directory and index 1024, and kills above 1024', () => {
    const g = guest();
    g.mmu.newPgtable(DIRS[0]);
    g.mmu.demandPage(UVA, PF_USER);
    g.mmu.setPgd(DIRS[3], UVA >>> 22);
    g.mmu.setPgd(DIRS[0], 1024);
    expect(g.access(UVA, ACCESS_READ, true).ok).toBe(true);
    expect(g.killer.dead).toBe(false);
    g.mmu.setPgd(DIRS[0], 1025);
    expect(g.killer.reason).toBe('SET_PGD index 1025 above 1024');
  });

  it('in a directory that is not current, changes no TLB entry', () => {
    const g = guest();
    g.mmu.newPgtable(DIRS[0]);
    g.mmu.demandPage(UVA, PF_USER);
    g.mmu.newPgtable(DIRS[1]);
    g.tlb.reset();
    g.mmu.setPgd(DIRS[0], UVA >>> 22);
    expect(g.tlb.pages).toEqual([]);
    g.mmu.newPgtable(DIRS[0]);
    expect(g.access(UVA, ACCESS_READ, true).ok).toBe(false);
  });
});

describe('FLUSH_TLB (§7.5)', () => {
  it('FLUSH_TLB(0) drops only the user part of the current directory', () => {
    const g = guest();
    g.mmu.newPgtable(DIRS[1]);
    g.mmu.demandPage(UVA, PF_USER);
    g.mmu.newPgtable(DIRS[0]);
    g.mmu.demandPage(UVA, PF_USER);
    g.mmu.demandPage(KVA, 0);
    g.tlb.reset();
    g.mmu.flushTlb(false);
    expect(g.tlb.all).toBe(1);
    expect(g.access(UVA, ACCESS_READ, true).ok).toBe(false);
    expect(g.access(KVA).ok).toBe(true);
    g.mmu.newPgtable(DIRS[1]);
    expect(g.access(UVA, ACCESS_READ, true).ok).toBe(true);
  });

  it('FLUSH_TLB(1) drops everything in every cached directory, which stay cached', () => {
    const g = guest();
    g.mmu.newPgtable(DIRS[1]);
    g.mmu.demandPage(KVA, 0);
    g.mmu.newPgtable(DIRS[0]);
    g.mmu.demandPage(UVA, PF_USER);
    g.mmu.demandPage(KVA, 0);
    g.tlb.reset();
    g.mmu.flushTlb(true);
    expect(g.tlb.all).toBe(1);
    expect(g.access(UVA, ACCESS_READ, true).ok).toBe(false);
    expect(g.access(KVA).ok).toBe(false);
    expect(g.mmu.cachedPgdirs).toEqual([DIRS[1], DIRS[0], undefined, undefined]);
    g.mmu.newPgtable(DIRS[1]);
    expect(g.access(KVA).ok).toBe(false);
  });

  it('honours the kernel_address the guest reported at LGUEST_INIT', () => {
    const g = guest();
    g.map(DIRS[0], UTABLE(0), 0x8000_0000, DATA, PAGE_PRESENT);
    expect(g.mmu.lguestInit(0x8000_0000)).toBe(true);
    expect(g.mmu.kernelAddress).toBe(0x8000_0000);
    g.mmu.newPgtable(DIRS[0]);
    g.mmu.demandPage(0x8000_0000, 0);
    g.mmu.demandPage(UVA, PF_USER);
    g.mmu.flushTlb(false);
    expect(g.access(0x8000_0000).ok).toBe(true);
    expect(g.access(UVA, ACCESS_READ, true).ok).toBe(false);
    expect(g.mmu.lguestInit(0xffc0_0000)).toBe(false);
    expect(g.killer.reason).toBe('bad kernel address 0xffc00000');
  });
});

describe('the update hypercalls in linear mode', () => {
  it('only apply their kill checks to SET_PTE and SET_PGD, and flush the linear mappings', () => {
    const g = new Guest();
    expect(g.mmu.demandPage(0x5000, PF_WRITE)).toBe(true);
    g.mmu.setPte(0, 0x5000, 0);
    g.mmu.setPgd(0, 0);
    expect(g.access(0x5000, ACCESS_WRITE).ok).toBe(true);
    g.mmu.flushTlb(false);
    expect(g.access(0x5000).ok).toBe(false);
    expect(g.mmu.demandPage(0x5000, 0)).toBe(true);
    g.mmu.flushTlb(true);
    expect(g.access(0x5000).ok).toBe(false);
    expect(g.killer.dead).toBe(false);
    g.mmu.setPgd(0, 2000);
    expect(g.killer.reason).toBe('SET_PGD index 2000 above 1024');
    const h = new Guest();
    h.mmu.setPte(0, 0xffff_f000, 0);
    expect(h.killer.reason).toBe('attempt to set pte into Switcher pages at 0xfffff000');
  });
});

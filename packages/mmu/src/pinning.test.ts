import { PAGE_ACCESSED, PAGE_DIRTY, PAGE_PRESENT, PAGE_RW } from '@lguest/abi';
import { ACCESS_WRITE, PF_USER } from '@lguest/x86';
import { describe, expect, it } from 'vitest';
import { Guest, KERNEL, PDE_TABLE } from '../test/guest.js';

const DIR = 0x1000;
const DIR2 = 0x2000;
const KTABLE = 0x10000;
const STACK_TOP = KERNEL + 0x8000; // Linux's thread.sp0: just above the two stack pages
const LOW = STACK_TOP - 0x2000;
const HIGH = STACK_TOP - 0x1000;

function guest(): Guest {
  const g = new Guest();
  g.map(DIR, KTABLE, LOW, 0x100000, PAGE_PRESENT | PAGE_RW);
  g.map(DIR, KTABLE, HIGH, 0x101000, PAGE_PRESENT | PAGE_RW);
  g.setPde(DIR2, LOW, KTABLE | PDE_TABLE);
  g.mmu.newPgtable(DIR);
  g.tlb.reset();
  return g;
}

describe('SET_STACK and stack pinning (§3.2, §7.6)', () => {
  it('maps both stack pages writable at once and sets A and D in the guest PTEs', () => {
    const g = guest();
    expect(g.mmu.setStack(0x69, STACK_TOP, 2)).toBe(true);
    expect(g.mmu.stack).toEqual({ ss: 0x69, esp: STACK_TOP, pages: 2 });
    expect(g.access(HIGH, ACCESS_WRITE)).toMatchObject({
      ok: true,
      writable: true,
      frame: g.frame(0x101000),
    });
    expect(g.access(LOW, ACCESS_WRITE)).toMatchObject({ ok: true, writable: true, frame: g.frame(0x100000) });
    expect(g.pte(KTABLE, LOW)).toBe(0x100000 | PAGE_PRESENT | PAGE_RW | PAGE_ACCESSED | PAGE_DIRTY);
    expect(g.pte(KTABLE, HIGH)).toBe(0x101000 | PAGE_PRESENT | PAGE_RW | PAGE_ACCESSED | PAGE_DIRTY);
  });

  it('pins only the pages asked for, and leaves pages already writable alone', () => {
    const g = guest();
    expect(g.mmu.setStack(0x69, STACK_TOP, 1)).toBe(true);
    expect(g.access(HIGH, ACCESS_WRITE).ok).toBe(true);
    expect(g.access(LOW).ok).toBe(false);
    g.setPte(KTABLE, HIGH, 0);
    expect(g.mmu.setStack(0x69, STACK_TOP, 1)).toBe(true);
    expect(g.killer.dead).toBe(false);
  });

  it('re-pins after FLUSH_TLB(1) and in a freshly allocated directory, not in a reused one', () => {
    const g = guest();
    g.mmu.setStack(0x69, STACK_TOP, 2);
    g.mmu.flushTlb(true);
    expect(g.access(LOW, ACCESS_WRITE).ok).toBe(true);
    g.mmu.newPgtable(DIR2);
    expect(g.access(HIGH, ACCESS_WRITE).ok).toBe(true);
    g.mmu.flushTlb(false);
    expect(g.access(HIGH, ACCESS_WRITE).ok).toBe(true);
  });

  it('kills on a bad stack segment, a bad page count or a stack page that cannot be mapped', () => {
    const g = guest();
    expect(g.mmu.setStack(0x68, STACK_TOP, 2)).toBe(false);
    expect(g.killer.reason).toBe('bad stack segment 0x00000068');
    const h = guest();
    expect(h.mmu.setStack(0x69, STACK_TOP, 3)).toBe(false);
    expect(h.killer.reason).toBe('bad stack pages 3');
    const k = guest();
    expect(k.mmu.setStack(0x69, STACK_TOP + 0x1000, 2)).toBe(false);
    expect(k.killer.reason).toBe(`bad stack page 0x${(STACK_TOP + 0xfff).toString(16)}`);
    // A read-only stack page cannot be pinned either.
    const r = guest();
    r.setPte(KTABLE, HIGH, 0x101000 | PAGE_PRESENT);
    expect(r.mmu.setStack(0x69, STACK_TOP, 2)).toBe(false);
    expect(r.killer.reason).toBe(`bad stack page 0x${(STACK_TOP - 1).toString(16)}`);
  });

  it('a stack in user-accessible memory is pinned as a supervisor write', () => {
    const g = guest();
    expect(g.mmu.setStack(0x69, STACK_TOP, 2)).toBe(true);
    expect(g.mmu.demandPage(HIGH, PF_USER)).toBe(false);
  });
});

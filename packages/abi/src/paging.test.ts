import { describe, expect, it } from 'vitest';
import * as p from './paging.js';

describe('§7 paging constants', () => {
  it('pin the PTE/PDE flag bits of §7.1', () => {
    expect(p.PAGE_PRESENT).toBe(0x1);
    expect(p.PAGE_RW).toBe(0x2);
    expect(p.PAGE_USER).toBe(0x4);
    expect(p.PAGE_PWT).toBe(0x8);
    expect(p.PAGE_PCD).toBe(0x10);
    expect(p.PAGE_ACCESSED).toBe(0x20);
    expect(p.PAGE_DIRTY).toBe(0x40);
    expect(p.PAGE_PSE).toBe(0x80);
    expect(p.PAGE_GLOBAL).toBe(0x100);
    expect(p.PAGE_FLAGS_MASK).toBe(0xfff);
  });

  it('pin the two-level geometry', () => {
    expect(p.PTRS_PER_TABLE).toBe(1024);
    expect(p.PGDIR_SHIFT).toBe(22);
  });

  it('pin the validity and linear-mode masks (§7.2, §7.3)', () => {
    expect(p.PDE_ALLOWED_FLAGS).toBe(0x067);
    expect(p.PDE_ALLOWED_FLAGS).toBe(
      p.PAGE_PRESENT | p.PAGE_RW | p.PAGE_USER | p.PAGE_ACCESSED | p.PAGE_DIRTY,
    );
    expect(p.LINEAR_MODE_PDE_FLAGS).toBe(0x067);
    expect(p.LINEAR_MODE_PTE_FLAGS).toBe(0x003);
  });

  it('pin the #PF error-code bits (§6.11)', () => {
    expect(p.PF_ERROR_PRESENT).toBe(1);
    expect(p.PF_ERROR_WRITE).toBe(2);
    expect(p.PF_ERROR_USER).toBe(4);
  });

  it('pin the shadow cache and the recommended switcher region (§5.4, §7.4)', () => {
    expect(p.LGUEST_SHADOW_PGDIRS).toBe(4);
    expect(p.LGUEST_SWITCHER_ADDR).toBe(0xffc00000);
    expect(p.LGUEST_RESERVE_MEM).toBe(0x400000);
    expect(p.LGUEST_SWITCHER_ADDR + p.LGUEST_RESERVE_MEM).toBe(2 ** 32);
    expect(p.GUEST_KERNEL_ADDRESS).toBe(0xc0000000);
  });
});

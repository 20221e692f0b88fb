import {
  DeathRecord,
  GUEST_KERNEL_ADDRESS,
  GuestMemory,
  LGUEST_SWITCHER_ADDR,
  PAGE_PRESENT,
  PAGE_RW,
  PAGE_USER,
} from '@lguest/abi';
import {
  ACCESS_FETCH,
  ACCESS_READ,
  ACCESS_WRITE,
  createTranslation,
  PF_PRESENT,
  PF_USER,
  PF_WRITE,
  TRANSLATE_FAULT,
} from '@lguest/x86';
import { describe, expect, it } from 'vitest';
import { Guest, RecordingTlb } from '../test/guest.js';
import { ShadowMmu } from './index.js';

const DIR = 0x1000;
const TABLE = 0x10000;
const VA = 0x0040_0000;

describe('ShadowMmu as a translation provider', () => {
  it('starts in linear mode with the documented defaults', () => {
    const g = new Guest();
    expect(g.mmu.linear).toBe(true);
    expect(g.mmu.cachedPgdirs).toEqual([undefined, undefined, undefined, undefined]);
    expect(g.mmu.switcherAddr).toBe(LGUEST_SWITCHER_ADDR);
    expect(g.mmu.reserveMem).toBe(0x40_0000);
    expect(g.mmu.kernelAddress).toBe(GUEST_KERNEL_ADDRESS);
    expect(g.mmu.stack).toEqual({ ss: 0, esp: 0, pages: 0 });
  });

  it('flushes the CPU TLB when bound', () => {
    const memory = new GuestMemory(new ArrayBuffer(64 * 4096));
    const mmu = new ShadowMmu({ memory, killer: new DeathRecord() });
    const tlb = new RecordingTlb();
    mmu.bind(tlb);
    expect(tlb.all).toBe(1);
  });

  it('reports #PF error codes as the hardware would for the shadow tables', () => {
    const g = new Guest();
    g.mmu.newPgtable(DIR);
    g.map(DIR, TABLE, VA, 0x20_0000, PAGE_PRESENT | PAGE_RW);
    expect(g.access(VA, ACCESS_FETCH, true).error).toBe(TRANSLATE_FAULT | PF_USER);
    expect(g.access(VA, ACCESS_WRITE, true).error).toBe(TRANSLATE_FAULT | PF_USER | PF_WRITE);
    g.mmu.demandPage(VA, 0);
    // Instruction fetches are reads (no NX without PAE), so no fetch bit is reported.
    expect(g.access(VA, ACCESS_FETCH)).toMatchObject({ ok: true, writable: false, user: false });
    expect(g.access(VA, ACCESS_FETCH, true).error).toBe(TRANSLATE_FAULT | PF_PRESENT | PF_USER);
    expect(g.access(VA, ACCESS_WRITE).error).toBe(TRANSLATE_FAULT | PF_PRESENT | PF_WRITE);
  });

  it('does not allocate a result per call: it fills the caller’s record', () => {
    const g = new Guest();
    g.mmu.newPgtable(DIR);
    g.map(DIR, TABLE, VA, 0x20_0000, PAGE_PRESENT | PAGE_USER);
    g.mmu.demandPage(VA, PF_USER);
    const out = createTranslation();
    expect(g.mmu.translate(VA + 0xfff, ACCESS_READ, true, out)).toBe(0);
    expect(out).toEqual({ frame: g.frame(0x20_0000), writable: false, user: true });
  });

  it('tolerates addresses given as negative int32 values', () => {
    const g = new Guest();
    g.mmu.newPgtable(DIR);
    g.map(DIR, TABLE, 0xc000_0000, 0x20_0000, PAGE_PRESENT);
    expect(g.mmu.demandPage(0xc000_0000 | 0, 0)).toBe(true);
    expect(g.access(0xc000_0000 | 0).ok).toBe(true);
    expect(g.mmu.guestPa(0xc000_0010 | 0)).toBe(0x20_0010);
  });

  it('rejects host configuration errors at construction', () => {
    const memory = new GuestMemory(new ArrayBuffer(64 * 4096));
    const killer = new DeathRecord();
    expect(() => new ShadowMmu({ memory, killer, switcherAddr: 0xffc0_0800 })).toThrow(RangeError);
    expect(() => new ShadowMmu({ memory, killer, cachedDirectories: 0 })).toThrow(RangeError);
  });
});

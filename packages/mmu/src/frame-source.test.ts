import { GuestMemory, PAGE_PRESENT, PAGE_RW } from '@lguest/abi';
import { ACCESS_WRITE, createTranslation, PF_WRITE } from '@lguest/x86';
import { describe, expect, it } from 'vitest';
import { Guest } from '../test/guest.js';
import { FrameOverlay, ShadowMmu } from './index.js';

const DIR = 0x1000;
const TABLE = 0x10000;
const VA = 0xc000_3000;
const GPA = 0x40000;

describe('frame sources', () => {
  it('maps a foreign frame (another memory’s page) at a guest pfn, and back', () => {
    const peer = new GuestMemory(new ArrayBuffer(16 * 4096));
    const granted = peer.frame(7);
    const g = new Guest();
    const overlay = new FrameOverlay(g.memory);
    const mmu = new ShadowMmu({ memory: g.memory, killer: g.killer, frames: overlay });
    mmu.bind(g.tlb);
    expect(mmu.frames).toBe(overlay);
    mmu.newPgtable(DIR);
    g.map(DIR, TABLE, VA, GPA, PAGE_PRESENT | PAGE_RW);
    const out = createTranslation();

    overlay.map(GPA >>> 12, granted!);
    expect(mmu.demandPage(VA, PF_WRITE)).toBe(true);
    expect(mmu.translate(VA, ACCESS_WRITE, false, out)).toBe(0);
    expect(out.frame).toBe(granted);

    g.tlb.reset();
    expect(overlay.unmap(GPA >>> 12)).toBe(true);
    mmu.frameSourceChanged(GPA >>> 12);
    expect(g.tlb.pages).toEqual([VA]);
    expect(mmu.translate(VA, ACCESS_WRITE, false, out)).not.toBe(0);
    expect(mmu.demandPage(VA, PF_WRITE)).toBe(true);
    expect(mmu.translate(VA, ACCESS_WRITE, false, out)).toBe(0);
    expect(out.frame).toBe(g.frame(GPA));
    expect(overlay.unmap(GPA >>> 12)).toBe(false);
  });
});

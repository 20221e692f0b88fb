import { CHANGED_GDT, CHANGED_GDT_TLS, CHANGED_IDT } from '@lguest/switcher';
import { describe, expect, it } from 'vitest';
import { asmGuest, initCode } from '../test/asm.js';
import { loadGdtEntry, loadIdtEntry, loadTls } from './descriptors.js';

function vcpu() {
  const guest = asmGuest(initCode().spin());
  guest.vcpu.run({ budget: 100 });
  guest.vcpu.pages.changed = 0;
  return guest.vcpu;
}

describe('LOAD_GDT_ENTRY (§5.3)', () => {
  it('forces DPL 0 to 1 and sets the accessed bit; DPL 2 and 3 stay', () => {
    const v = vcpu();
    loadGdtEntry(v, 12, 0xffff, 0x00cf_9a00);
    expect(v.pages.gdt[25]).toBe(0x00cf_bb00);
    loadGdtEntry(v, 14, 0xffff, 0x00cf_fa00);
    expect(v.pages.gdt[29]).toBe(0x00cf_fb00);
    loadGdtEntry(v, 15, 0xffff, 0x00cf_d200);
    expect(v.pages.gdt[31]).toBe(0x00cf_d300);
    expect(v.pages.changed & CHANGED_GDT).toBe(CHANGED_GDT);
  });

  it('stores host-owned entries untouched and kills for index 32', () => {
    const v = vcpu();
    loadGdtEntry(v, 10, 0x1234, 0x00cf_9a00);
    expect(v.pages.gdt[21]).toBe(0x00cf_9a00);
    loadGdtEntry(v, 32, 0, 0);
    expect(v.guest.death.reason).toBe('too many gdt entries 32');
  });
});

describe('LOAD_TLS (§5.3)', () => {
  it('reads three descriptors into entries 6-8 and sanitises them', () => {
    const v = vcpu();
    const m = v.guest.memory;
    m.write32(0x3000, 0xffff);
    m.write32(0x3004, 0x00cf_9200);
    m.write32(0x3008, 0x1234_ffff);
    m.write32(0x300c, 0x00cf_f200);
    loadTls(v, 0x3000);
    expect([...v.pages.gdt.subarray(12, 18)]).toEqual([
      0xffff, 0x00cf_b300, 0x1234_ffff, 0x00cf_f300, 0, 0x2100,
    ]);
    expect(v.pages.changed).toBe(CHANGED_GDT_TLS);
  });

  it('kills when the 24 bytes wrap past 4 GiB', () => {
    const v = vcpu();
    loadTls(v, 0xffff_fff0);
    expect(v.guest.death.reason).toMatch(/0xfffffff0 \(24 bytes\)/);
  });
});

describe('LOAD_IDT_ENTRY (§6.6)', () => {
  it('ignores 2, 8, 15 and 0x1F whatever the type', () => {
    const v = vcpu();
    for (const n of [2, 8, 15, 0x1f]) loadIdtEntry(v, n, 0x1234, 0x0000_8500);
    expect(v.guest.dead).toBe(false);
    expect(v.pages.idt.every((w) => w === 0)).toBe(true);
    expect(v.pages.changed).toBe(0);
  });

  it('forces the selector to 0x61 and keeps offset, P, DPL and type', () => {
    const v = vcpu();
    loadIdtEntry(v, 0x80, 0x0010_5678, 0xc012_ff00 | 0x1000);
    expect(v.pages.idt[0x100]).toBe(0x0061_5678);
    expect(v.pages.idt[0x101]).toBe(0xc012_ef00);
    expect(v.pages.changed).toBe(CHANGED_IDT);
  });

  it('stores a not-present entry of any type as zero, and kills for bad types and vectors', () => {
    const v = vcpu();
    loadIdtEntry(v, 0x30, 0x1234, 0x1234_0500);
    expect(v.pages.idt[0x61]).toBe(0);
    loadIdtEntry(v, 0x30, 0x1234, 0x8500);
    expect(v.guest.death.reason).toMatch(/^bad IDT type 5/);
    const w = vcpu();
    loadIdtEntry(w, 256, 0, 0x8e00);
    expect(w.guest.death.reason).toBe('Setting idt entry 256');
  });
});

/**
 * The guest's descriptor tables as the Host keeps them (spec §5.3, §6.6): `LOAD_GDT_ENTRY`,
 * `LOAD_TLS` and `LOAD_IDT_ENTRY` store checked, sanitised copies in the vCPU's lguest pages and set
 * the "changed" flags, so the Switcher copies them into the CPU before the next run. Called from the
 * hypercall dispatcher (`hypercalls.ts`).
 */
import {
  DESC_HI_ACCESSED,
  DESC_HI_DPL_MASK,
  DESC_HI_DPL1,
  GATE_HI_P,
  GATE_TYPE_INTERRUPT,
  GATE_TYPE_TRAP,
  GDT_ENTRIES,
  GDT_ENTRY_TLS_ENTRIES,
  GDT_ENTRY_TLS_MIN,
  gateType,
  IDT_ENTRIES,
  isHostGdtEntry,
  isIgnoredIdtVector,
  LGUEST_GATE_HI_KEEP,
  LGUEST_GATE_LO_SELECTOR,
  LHCALL_TLS_SIZE,
} from '@lguest/abi';
import { CHANGED_GDT, CHANGED_GDT_TLS, CHANGED_IDT, type LguestPages } from '@lguest/switcher';
import { hex } from './hex.js';
import type { Vcpu } from './vcpu.js';

/** §5.3: DPL 0 becomes 1, and the accessed bit is preset (the CPU never writes our GDT). */
function sanitise(pages: LguestPages, index: number): void {
  if (isHostGdtEntry(index)) return;
  let hi = pages.gdt[index * 2 + 1];
  if ((hi & DESC_HI_DPL_MASK) === 0) hi |= DESC_HI_DPL1;
  pages.gdt[index * 2 + 1] = hi | DESC_HI_ACCESSED;
}

/** `LOAD_GDT_ENTRY(i, lo, hi)`: index ≥ 32 kills; host-owned entries are stored but never used. */
export function loadGdtEntry(vcpu: Vcpu, index: number, lo: number, hi: number): void {
  if (index >>> 0 >= GDT_ENTRIES) {
    vcpu.guest.kill(`too many gdt entries ${index >>> 0}`);
    return;
  }
  const pages = vcpu.pages;
  pages.gdt[index * 2] = lo;
  pages.gdt[index * 2 + 1] = hi;
  sanitise(pages, index);
  pages.changed |= CHANGED_GDT;
}

const tls = new Uint8Array(LHCALL_TLS_SIZE);
const tlsWords = new DataView(tls.buffer);

/** `LOAD_TLS(gpa)`: the three descriptors at `gpa` into entries 6–8, sanitised; a bad range kills. */
export function loadTls(vcpu: Vcpu, gpa: number): void {
  if (!vcpu.guest.memory.copyOut(gpa, tls)) return;
  const pages = vcpu.pages;
  for (let i = 0; i < GDT_ENTRY_TLS_ENTRIES; i++) {
    const index = GDT_ENTRY_TLS_MIN + i;
    pages.gdt[index * 2] = tlsWords.getUint32(i * 8, true);
    pages.gdt[index * 2 + 1] = tlsWords.getUint32(i * 8 + 4, true);
    sanitise(pages, index);
  }
  pages.changed |= CHANGED_GDT_TLS;
}

/** `LOAD_IDT_ENTRY(n, lo, hi)` (§6.6), in the spec's order: ignored vectors before the type test. */
export function loadIdtEntry(vcpu: Vcpu, vector: number, lo: number, hi: number): void {
  vector >>>= 0;
  if (isIgnoredIdtVector(vector)) return;
  if (vector >= IDT_ENTRIES) {
    vcpu.guest.kill(`Setting idt entry ${vector}`);
    return;
  }
  const pages = vcpu.pages;
  pages.changed |= CHANGED_IDT;
  if ((hi & GATE_HI_P) === 0) {
    pages.idt[vector * 2] = 0;
    pages.idt[vector * 2 + 1] = 0;
    return;
  }
  const type = gateType(hi);
  if (type !== GATE_TYPE_INTERRUPT && type !== GATE_TYPE_TRAP) {
    vcpu.guest.kill(`bad IDT type ${type} for vector ${vector} (${hex(hi)})`);
    return;
  }
  pages.idt[vector * 2] = (LGUEST_GATE_LO_SELECTOR | (lo & 0xffff)) >>> 0;
  pages.idt[vector * 2 + 1] = (hi & LGUEST_GATE_HI_KEEP) >>> 0;
}

/**
 * Loading the guest's segment registers on entry, as the real Switcher's `pop %gs … iret` did: each
 * selector of the register frame is looked up in the host's copy of the guest GDT and checked the way
 * the hardware checks an `iret` to an outer ring. A selector that would fault there (not present,
 * wrong type or privilege for CS/SS) is what lguest reported as trap 256, "faulted while entering the
 * guest"; a data selector the new CPL may not use is nulled, as `iret` does.
 *
 * Called by the Switcher before each run for the registers whose selector (or descriptor) changed.
 */
import { GDT_ENTRIES } from '@lguest/abi';
import { type Cpu, Descriptor, SEG_CS, SEG_SS, type SegmentState } from '@lguest/x86';

const scratch = new Descriptor();
const state: SegmentState = { selector: 0, base: 0, limit: 0, attributes: 0 };

/** Fills `scratch` from GDT entry `selector`; false for LDT selectors or indexes past the GDT. */
function lookup(gdt: Int32Array, selector: number): boolean {
  const index = selector >>> 3;
  if (selector & 4 || index >= GDT_ENTRIES) return false;
  scratch.decode(gdt[index * 2], gdt[index * 2 + 1]);
  return true;
}

function install(cpu: Cpu, seg: number, selector: number, d: Descriptor | undefined): void {
  state.selector = selector;
  state.base = d === undefined ? 0 : d.base;
  state.limit = d === undefined ? 0 : d.limit;
  state.attributes = d === undefined ? 0 : d.attributes;
  cpu.setSegment(seg, state);
}

/**
 * Loads CS and SS from `cs`/`ss`: CS must be a present code segment of privilege 1 or 3 (its RPL) and
 * SS a present writable data segment of the same privilege. False when entry would fault (trap 256).
 */
export function loadCodeAndStack(cpu: Cpu, gdt: Int32Array, cs: number, ss: number): boolean {
  cs &= 0xffff;
  ss &= 0xffff;
  const cpl = cs & 3;
  if (cpl === 0 || (cs & 0xfffc) === 0 || !lookup(gdt, cs)) return false;
  if (!scratch.present || !scratch.isCode) return false;
  const conforming = (scratch.type & 4) !== 0;
  if (conforming ? scratch.dpl > cpl : scratch.dpl !== cpl) return false;
  install(cpu, SEG_CS, cs, scratch);
  if ((ss & 3) !== cpl || (ss & 0xfffc) === 0 || !lookup(gdt, ss)) return false;
  if (!scratch.present || scratch.isCode || !scratch.isCodeOrData || (scratch.type & 2) === 0) return false;
  if (scratch.dpl !== cpl) return false;
  install(cpu, SEG_SS, ss, scratch);
  return true;
}

/**
 * Loads data segment register `seg` (DS, ES, FS or GS) from `selector` at privilege `cpl`. A null
 * selector, or one the CPL may not use, leaves the register null; a selector that does not name a
 * present data or readable code segment makes entry fail (false).
 */
export function loadDataSegment(
  cpu: Cpu,
  gdt: Int32Array,
  seg: number,
  selector: number,
  cpl: number,
): boolean {
  selector &= 0xffff;
  if ((selector & 0xfffc) === 0) {
    install(cpu, seg, selector, undefined);
    return true;
  }
  if (!lookup(gdt, selector) || !scratch.present || !scratch.isCodeOrData) return false;
  if (scratch.isCode && (scratch.type & 2) === 0) return false;
  const conforming = scratch.isCode && (scratch.type & 4) !== 0;
  if (!conforming && scratch.dpl < Math.max(cpl, selector & 3)) install(cpu, seg, selector, undefined);
  else install(cpu, seg, selector, scratch);
  return true;
}

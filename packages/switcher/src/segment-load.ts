/**
 * Loading the guest's segment registers on entry, as the real Switcher's `pop %gs … iret` did: each
 * selector of the register frame is looked up in the host's copy of the guest GDT and checked the way
 * the hardware checks an `iret` to an outer ring. A selector that would fault there (not present,
 * wrong type or privilege for CS/SS) is what lguest reported as trap 256, "faulted while entering the
 * guest"; a data selector the new CPL may not use is nulled, as `iret` does.
 *
 * Called by the Switcher before each run for the registers whose selector (or descriptor) changed.
 * Entries are decoded once and kept in a {@link GdtCache} until the Switcher copies a changed GDT in
 * (`LOAD_GDT_ENTRY`, `LOAD_TLS`): a system call through the Host reloads CS and SS on every entry.
 */
import { GDT_ENTRIES } from '@lguest/abi';
import { type Cpu, Descriptor, SEG_CS, SEG_SS } from '@lguest/x86';

const scratch = new Descriptor();

/** Attribute bits (the descriptor's bits 8–23 shifted down, as the CPU keeps them). */
const ATTR_S = 0x10;
const ATTR_CODE = 0x18;
const ATTR_PRESENT = 0x80;

/**
 * The host GDT's entries decoded (base, limit, attributes), each decoded on first use after
 * {@link GdtCache.invalidate}, which the Switcher calls whenever it copies GDT entries in.
 */
export class GdtCache {
  readonly #base = new Int32Array(GDT_ENTRIES);
  readonly #limit = new Uint32Array(GDT_ENTRIES);
  readonly #attributes = new Int32Array(GDT_ENTRIES);
  readonly #valid = new Uint8Array(GDT_ENTRIES);

  constructor(readonly gdt: Int32Array) {}

  /** The host GDT changed: decode every entry again at its next use. */
  invalidate(): void {
    this.#valid.fill(0);
  }

  /** GDT index of `selector` with its entry decoded, or -1 for LDT selectors and indexes past the GDT. */
  entry(selector: number): number {
    const index = selector >>> 3;
    if (selector & 4 || index >= GDT_ENTRIES) return -1;
    if (this.#valid[index] === 0) {
      scratch.decode(this.gdt[index * 2], this.gdt[index * 2 + 1]);
      this.#base[index] = scratch.base;
      this.#limit[index] = scratch.limit;
      this.#attributes[index] = scratch.attributes;
      this.#valid[index] = 1;
    }
    return index;
  }

  attributes(index: number): number {
    return this.#attributes[index];
  }

  /** Loads segment register `seg` of `cpu` with `selector` and entry `index`'s hidden part. */
  install(cpu: Cpu, seg: number, selector: number, index: number): void {
    cpu.setSegmentFields(seg, selector, this.#base[index], this.#limit[index], this.#attributes[index]);
  }
}

/**
 * Loads CS and SS from `cs`/`ss`: CS must be a present code segment of privilege 1 or 3 (its RPL) and
 * SS a present writable data segment of the same privilege. False when entry would fault (trap 256).
 */
export function loadCodeAndStack(cpu: Cpu, cache: GdtCache, cs: number, ss: number): boolean {
  cs &= 0xffff;
  ss &= 0xffff;
  const cpl = cs & 3;
  if (cpl === 0 || (cs & 0xfffc) === 0) return false;
  const ci = cache.entry(cs);
  if (ci < 0) return false;
  const ca = cache.attributes(ci);
  if ((ca & ATTR_PRESENT) === 0 || (ca & ATTR_CODE) !== ATTR_CODE) return false;
  const conforming = (ca & 4) !== 0;
  const cdpl = (ca >> 5) & 3;
  if (conforming ? cdpl > cpl : cdpl !== cpl) return false;
  cache.install(cpu, SEG_CS, cs, ci);
  if ((ss & 3) !== cpl || (ss & 0xfffc) === 0) return false;
  const si = cache.entry(ss);
  if (si < 0) return false;
  const sa = cache.attributes(si);
  // A present, writable data segment (S = 1, not code, W) of the same privilege.
  if ((sa & ATTR_PRESENT) === 0 || (sa & ATTR_CODE) !== ATTR_S || (sa & 2) === 0) return false;
  if (((sa >> 5) & 3) !== cpl) return false;
  cache.install(cpu, SEG_SS, ss, si);
  return true;
}

/** {@link loadDataSegment}: the register holds the segment, or the null selector it was given. */
export const DATA_LOADED = 0;
/** {@link loadDataSegment}: the CPL may not use the selector; the register was left null. */
export const DATA_NULLED = 1;
/** {@link loadDataSegment}: the selector names no usable segment; entry fails (trap 256). */
export const DATA_FAULT = 2;

/**
 * Loads data segment register `seg` (DS, ES, FS or GS) from `selector` at privilege `cpl`. A null
 * selector loads null ({@link DATA_LOADED}); one the CPL may not use leaves the register null
 * ({@link DATA_NULLED}); a selector that does not name a present data or readable code segment makes
 * entry fail ({@link DATA_FAULT}).
 */
export function loadDataSegment(
  cpu: Cpu,
  cache: GdtCache,
  seg: number,
  selector: number,
  cpl: number,
): number {
  selector &= 0xffff;
  if ((selector & 0xfffc) === 0) {
    cpu.setSegmentFields(seg, selector, 0, 0, 0);
    return DATA_LOADED;
  }
  const index = cache.entry(selector);
  if (index < 0) return DATA_FAULT;
  const a = cache.attributes(index);
  if ((a & ATTR_PRESENT) === 0 || (a & ATTR_S) === 0) return DATA_FAULT;
  const code = (a & ATTR_CODE) === ATTR_CODE;
  if (code && (a & 2) === 0) return DATA_FAULT;
  const conforming = code && (a & 4) !== 0;
  const rpl = selector & 3;
  if (!conforming && ((a >> 5) & 3) < (cpl > rpl ? cpl : rpl)) {
    cpu.setSegmentFields(seg, selector, 0, 0, 0);
    return DATA_NULLED;
  }
  cache.install(cpu, seg, selector, index);
  return DATA_LOADED;
}

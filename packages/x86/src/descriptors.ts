/**
 * Descriptor tables as the CPU core reads them: GDT/LDT entries, IDT gates and the TSS ring stacks.
 *
 * The tables sit behind {@link DescriptorSource} so the same core runs standalone — tables in linear
 * memory found through GDTR/IDTR/LDTR/TR, as the hardware does — and under the Switcher, which hands
 * in its host-side copies of the guest's GDT, IDT and TSS that the guest never maps
 * ({@link HostDescriptorTables}). Segment loads (`segments.ts`) and interrupt delivery
 * (`interrupts.ts`) are the callers.
 */

/**
 * Where the CPU reads descriptors. Every method fills `out[0]` (low dword) and `out[1]` (high dword)
 * and returns false when the entry lies beyond the table's limit. Reading linear memory may raise the
 * CPU's #PF (the fault propagates to the instruction that caused the read).
 */
export interface DescriptorSource {
  /** The descriptor selected by `selector` (bit 2 selects the LDT). Null selectors are never passed. */
  readDescriptor(selector: number, out: Int32Array): boolean;
  /** IDT gate `vector`. */
  readGate(vector: number, out: Int32Array): boolean;
  /** The ring-`ring` stack of the current TSS: `out[0]` = ESP, `out[1]` = SS (low 16 bits). */
  readStack(ring: number, out: Int32Array): boolean;
  /**
   * Whether the TSS I/O-permission bitmap allows `size` bytes at `port` (asked only when CPL > IOPL).
   * Without a bitmap, nothing is allowed.
   */
  ioPermitted(port: number, size: number): boolean;
}

/** A decoded segment descriptor (code/data or system), reused by callers to avoid allocation. */
export class Descriptor {
  base = 0;
  /** Byte-granular limit, unsigned. */
  limit = 0;
  /**
   * Attribute bits as in the descriptor's high dword bits 8–23, shifted down: type (0–3), S (4),
   * DPL (5–6), P (7), AVL (12), L (13), D/B (14), G (15).
   */
  attributes = 0;

  /** Decodes the 8 bytes `lo`, `hi`. */
  decode(lo: number, hi: number): this {
    this.base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff00_0000)) >>> 0;
    let limit = (lo & 0xffff) | (hi & 0xf_0000);
    if (hi & 0x80_0000) limit = ((limit << 12) | 0xfff) >>> 0;
    this.limit = limit;
    this.attributes = (hi >>> 8) & 0xf0ff;
    return this;
  }

  get type(): number {
    return this.attributes & 0xf;
  }
  /** Code or data (S = 1), as opposed to a system descriptor. */
  get isCodeOrData(): boolean {
    return (this.attributes & 0x10) !== 0;
  }
  get isCode(): boolean {
    return (this.attributes & 0x18) === 0x18;
  }
  get dpl(): number {
    return (this.attributes >> 5) & 3;
  }
  get present(): boolean {
    return (this.attributes & 0x80) !== 0;
  }
}

/** Attribute bits of a present, flat, 32-bit segment of type `type` and privilege `dpl`. */
export function flatAttributes(type: number, dpl: number): number {
  return (type & 0xf) | 0x10 | ((dpl & 3) << 5) | 0x80 | 0x4000 | 0x8000;
}

/**
 * Host-side descriptor tables: what the Switcher supplies instead of guest-mapped tables. The
 * embedder writes entries straight into `gdt`/`idt` (two `Int32`s per entry: low dword, high dword)
 * and the ring stacks into `stacks`; nothing here is visible to the guest.
 */
export class HostDescriptorTables implements DescriptorSource {
  /** GDT entries, `gdt[2*i]` low dword and `gdt[2*i+1]` high dword of entry i. */
  readonly gdt: Int32Array;
  /** The 256 IDT gates, same layout. */
  readonly idt = new Int32Array(512);
  /** Ring stacks: `stacks[2*r]` = ESP, `stacks[2*r+1]` = SS, for rings 0–2. */
  readonly stacks = new Int32Array(6);

  constructor(gdtEntries = 32) {
    this.gdt = new Int32Array(gdtEntries * 2);
  }

  /** Sets GDT entry `index` from its two dwords. */
  setGdtEntry(index: number, lo: number, hi: number): void {
    this.gdt[index * 2] = lo;
    this.gdt[index * 2 + 1] = hi;
  }

  /** Sets IDT gate `vector` from its two dwords. */
  setGate(vector: number, lo: number, hi: number): void {
    this.idt[vector * 2] = lo;
    this.idt[vector * 2 + 1] = hi;
  }

  /** Sets the stack used on entry to `ring`. */
  setStack(ring: number, ss: number, esp: number): void {
    this.stacks[ring * 2] = esp;
    this.stacks[ring * 2 + 1] = ss & 0xffff;
  }

  readDescriptor(selector: number, out: Int32Array): boolean {
    // There is no LDT on the host side: LDT selectors fault like entries past the limit.
    if (selector & 4) return false;
    const index = (selector >>> 3) & 0x1fff;
    if (index * 2 + 1 >= this.gdt.length) return false;
    out[0] = this.gdt[index * 2];
    out[1] = this.gdt[index * 2 + 1];
    return true;
  }

  readGate(vector: number, out: Int32Array): boolean {
    if (vector < 0 || vector > 255) return false;
    out[0] = this.idt[vector * 2];
    out[1] = this.idt[vector * 2 + 1];
    return true;
  }

  readStack(ring: number, out: Int32Array): boolean {
    if (ring < 0 || ring > 2) return false;
    out[0] = this.stacks[ring * 2];
    out[1] = this.stacks[ring * 2 + 1];
    return true;
  }

  ioPermitted(): boolean {
    return false;
  }
}

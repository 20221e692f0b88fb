/**
 * Descriptor tables in linear memory, found through GDTR, IDTR, LDTR and TR: how the hardware reads
 * them, and the CPU's default {@link DescriptorSource} for standalone use (LGDT/LIDT/LLDT/LTR at
 * CPL 0). Reads are supervisor accesses whatever the CPL and may raise #PF.
 */
import type { Cpu } from './cpu.js';
import type { DescriptorSource } from './descriptors.js';

/** Reads the GDT/LDT/IDT/TSS the CPU's table registers point at. */
export class LinearDescriptorTables implements DescriptorSource {
  constructor(private readonly cpu: Cpu) {}

  readDescriptor(selector: number, out: Int32Array): boolean {
    const table = selector & 4 ? this.cpu.ldtr : this.cpu.gdtr;
    if (selector & 4 && (this.cpu.ldtr.selector & 0xfffc) === 0) return false;
    const offset = selector & 0xfff8;
    if (offset + 7 > table.limit) return false;
    const lin = (table.base + offset) | 0;
    out[0] = this.cpu.rdSystem32(lin);
    out[1] = this.cpu.rdSystem32((lin + 4) | 0);
    return true;
  }

  readGate(vector: number, out: Int32Array): boolean {
    const offset = vector * 8;
    if (offset + 7 > this.cpu.idtr.limit) return false;
    const lin = (this.cpu.idtr.base + offset) | 0;
    out[0] = this.cpu.rdSystem32(lin);
    out[1] = this.cpu.rdSystem32((lin + 4) | 0);
    return true;
  }

  readStack(ring: number, out: Int32Array): boolean {
    // 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n.
    const offset = 4 + ring * 8;
    if (offset + 7 > this.cpu.tr.limit) return false;
    const lin = (this.cpu.tr.base + offset) | 0;
    out[0] = this.cpu.rdSystem32(lin);
    out[1] = this.cpu.rdSystem32((lin + 4) | 0) & 0xffff;
    return true;
  }

  ioPermitted(port: number, size: number): boolean {
    const tr = this.cpu.tr;
    if (tr.limit < 0x67) return false;
    const mapBase = (this.cpu.rdSystem32((tr.base + 0x64) | 0) >>> 16) & 0xffff;
    const byteOffset = mapBase + (port >>> 3);
    if (byteOffset + 1 > tr.limit) return false;
    const lin = (tr.base + byteOffset) | 0;
    const bits = this.cpu.readSlow(lin, 2, 0, false);
    const mask = ((1 << size) - 1) << (port & 7);
    return (bits & mask) === 0;
  }
}

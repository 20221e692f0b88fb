/**
 * Test support for the x87 unit tests (not part of the package surface): a flat little-endian memory
 * implementing `X87Host`, with a fault window to check that faulting accesses leave the FPU untouched,
 * and helpers to run encoded instructions.
 */
import { X87, type X87Host } from './x87.js';

/** Thrown by {@link FakeHost} for an access in its fault window (stands in for the core's #PF). */
export class FakeFault extends Error {}

export class FakeHost implements X87Host {
  readonly ram = new Uint8Array(0x10000);
  eflags = 0x202;
  ax = -1;
  /** Accesses at or above this linear address fault. */
  faultFrom = 0x10000;

  private check(a: number, n: number): void {
    if (a + n > this.faultFrom || a + n > this.ram.length) throw new FakeFault(`fault at ${a.toString(16)}`);
  }
  read8(a: number): number {
    this.check(a, 1);
    return this.ram[a];
  }
  read16(a: number): number {
    this.check(a, 2);
    return this.ram[a] | (this.ram[a + 1] << 8);
  }
  read32(a: number): number {
    this.check(a, 4);
    return (this.ram[a] | (this.ram[a + 1] << 8) | (this.ram[a + 2] << 16) | (this.ram[a + 3] << 24)) >>> 0;
  }
  write8(a: number, v: number): void {
    this.check(a, 1);
    this.ram[a] = v & 0xff;
  }
  write16(a: number, v: number): void {
    this.check(a, 2);
    this.ram[a] = v & 0xff;
    this.ram[a + 1] = (v >>> 8) & 0xff;
  }
  write32(a: number, v: number): void {
    this.check(a, 4);
    for (let k = 0; k < 4; k++) this.ram[a + k] = (v >>> (8 * k)) & 0xff;
  }
  readEflags(): number {
    return this.eflags;
  }
  setCompareFlags(zf: boolean, pf: boolean, cf: boolean): void {
    this.eflags = (this.eflags & ~0x8d5) | (zf ? 0x40 : 0) | (pf ? 4 : 0) | (cf ? 1 : 0);
  }
  writeAx(v: number): void {
    this.ax = v & 0xffff;
  }

  /** Stores a double at `a`. */
  putDouble(a: number, v: number): void {
    new DataView(this.ram.buffer).setFloat64(a, v, true);
  }
  getDouble(a: number): number {
    return new DataView(this.ram.buffer).getFloat64(a, true);
  }
  putFloat(a: number, v: number): void {
    new DataView(this.ram.buffer).setFloat32(a, v, true);
  }
  getFloat(a: number): number {
    return new DataView(this.ram.buffer).getFloat32(a, true);
  }
}

/** Runs one instruction given as [opcode, modrm]; memory forms use `linear`. Returns execute's result. */
export function exec(
  fpu: X87,
  host: FakeHost,
  opcode: number,
  modrm: number,
  linear = 0x100,
  op32 = true,
): number {
  return fpu.execute(opcode, modrm, linear, op32, host);
}

/** A fresh FPU after FNINIT. */
export function freshFpu(): X87 {
  const fpu = new X87();
  fpu.reset();
  return fpu;
}

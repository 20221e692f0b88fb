/**
 * Operand access for the interpreter: the ModRM register or memory operand, the ModRM.reg register,
 * by operand size (1, 2 or 4 bytes), and read-modify-write of the ModRM operand. Reads return
 * unsigned bytes and words and signed dwords; writes mask to the size. Used by `execute.ts` and
 * `execute-0f.ts`.
 */
import type { Cpu } from './cpu.js';

let rmwLinear = 0;

/** The operand size of a non-byte instruction. */
export function opSize(c: Cpu): number {
  return c.o32 ? 4 : 2;
}

/** Reads register `r` at `size`. */
export function readReg(c: Cpu, r: number, size: number): number {
  return size === 4 ? c.regs[r] : size === 2 ? c.regs[r] & 0xffff : c.getReg8(r);
}

/** Writes register `r` at `size`. */
export function writeReg(c: Cpu, r: number, size: number, v: number): void {
  if (size === 4) c.regs[r] = v;
  else if (size === 2) c.setReg16(r, v);
  else c.setReg8(r, v);
}

/** Reads the ModRM operand. */
export function readRm(c: Cpu, size: number): number {
  if (c.rm >= 0) return readReg(c, c.rm, size);
  const lin = c.segLinear(c.eaSeg, c.ea, size, false);
  return size === 4 ? c.rd32(lin) : size === 2 ? c.rd16(lin) : c.rd8(lin);
}

/** Writes the ModRM operand. */
export function writeRm(c: Cpu, size: number, v: number): void {
  if (c.rm >= 0) {
    writeReg(c, c.rm, size, v);
    return;
  }
  const lin = c.segLinear(c.eaSeg, c.ea, size, true);
  if (size === 4) c.wr32(lin, v);
  else if (size === 2) c.wr16(lin, v);
  else c.wr8(lin, v);
}

/** Reads the ModRM operand for a read-modify-write: a memory operand is checked for writing now. */
export function readRmw(c: Cpu, size: number): number {
  if (c.rm >= 0) return readReg(c, c.rm, size);
  rmwLinear = c.segLinear(c.eaSeg, c.ea, size, true);
  return size === 4 ? c.rd32w(rmwLinear) : size === 2 ? c.rd16w(rmwLinear) : c.rd8w(rmwLinear);
}

/** Completes a read-modify-write started by {@link readRmw}. */
export function writeRmw(c: Cpu, size: number, v: number): void {
  if (c.rm >= 0) writeReg(c, c.rm, size, v);
  else if (size === 4) c.wr32(rmwLinear, v);
  else if (size === 2) c.wr16(rmwLinear, v);
  else c.wr8(rmwLinear, v);
}

/** Linear address of the memory operand at `extra` bytes past the effective address. */
export function memLinear(c: Cpu, extra: number, size: number, write: boolean): number {
  const off = c.a32 ? (c.ea + extra) | 0 : (c.ea + extra) & 0xffff;
  return c.segLinear(c.eaSeg, off, size, write);
}

/** Sign-extends `v` from `size` bytes to 32 bits. */
export function signExtend(v: number, size: number): number {
  return size === 4 ? v | 0 : size === 2 ? (v << 16) >> 16 : (v << 24) >> 24;
}

/** Masks `v` to `size` bytes (dwords stay signed). */
export function maskTo(v: number, size: number): number {
  return size === 4 ? v | 0 : size === 2 ? v & 0xffff : v & 0xff;
}

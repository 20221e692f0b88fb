/**
 * The x87 environment and state images in guest memory, protected-mode layouts only (the guest never runs
 * real-mode or VM86 code, spec §15.3):
 *
 * - FNSTENV/FLDENV, 32-bit operand size (28 bytes): CW @0, SW @4, TW @8 (each with 0xFFFF in the upper
 *   half on store), FPU IP @12, FPU CS @16 with the 11-bit opcode in bits 16–26, operand pointer @20,
 *   operand selector @24 (upper half 0xFFFF).
 * - 16-bit operand size (14 bytes): CW @0, SW @2, TW @4, IP (low 16 bits) @6, CS @8, DP (low 16) @10, DS @12.
 * - FNSAVE/FRSTOR: that environment followed by ST(0)…ST(7) as 10-byte images (94 or 108 bytes).
 *
 * `X87` (x87.ts) calls these with the core's `X87Host` for the memory accesses. Loads read every byte
 * before returning, so a fault leaves the FPU untouched.
 */

/** The subset of `X87Host` this module needs. */
export interface X87Memory {
  read16(linear: number): number;
  read32(linear: number): number;
  write16(linear: number, v: number): void;
  write32(linear: number, v: number): void;
}

/** Size of the environment image. */
export function envSize(operand32: boolean): number {
  return operand32 ? 28 : 14;
}

/** A decoded environment (filled by {@link readEnv}, consumed by {@link writeEnv}). */
export class EnvImage {
  cw = 0;
  sw = 0;
  tw = 0;
  ip = 0;
  cs = 0;
  opcode = 0;
  dp = 0;
  ds = 0;
}

/** Writes the environment image at `linear`. */
export function writeEnv(mem: X87Memory, linear: number, operand32: boolean, env: EnvImage): void {
  const at = (off: number) => (linear + off) >>> 0;
  if (operand32) {
    mem.write32(at(0), (0xffff0000 | env.cw) >>> 0);
    mem.write32(at(4), (0xffff0000 | env.sw) >>> 0);
    mem.write32(at(8), (0xffff0000 | env.tw) >>> 0);
    mem.write32(at(12), env.ip >>> 0);
    mem.write32(at(16), ((env.cs & 0xffff) | ((env.opcode & 0x7ff) << 16)) >>> 0);
    mem.write32(at(20), env.dp >>> 0);
    mem.write32(at(24), (0xffff0000 | (env.ds & 0xffff)) >>> 0);
  } else {
    mem.write16(at(0), env.cw);
    mem.write16(at(2), env.sw);
    mem.write16(at(4), env.tw);
    mem.write16(at(6), env.ip & 0xffff);
    mem.write16(at(8), env.cs & 0xffff);
    mem.write16(at(10), env.dp & 0xffff);
    mem.write16(at(12), env.ds & 0xffff);
  }
}

/** Reads the environment image at `linear` into `env`. */
export function readEnv(mem: X87Memory, linear: number, operand32: boolean, env: EnvImage): void {
  const at = (off: number) => (linear + off) >>> 0;
  if (operand32) {
    env.cw = mem.read16(at(0)) & 0xffff;
    env.sw = mem.read16(at(4)) & 0xffff;
    env.tw = mem.read16(at(8)) & 0xffff;
    env.ip = mem.read32(at(12)) >>> 0;
    const csop = mem.read32(at(16)) >>> 0;
    env.cs = csop & 0xffff;
    env.opcode = (csop >>> 16) & 0x7ff;
    env.dp = mem.read32(at(20)) >>> 0;
    env.ds = mem.read16(at(24)) & 0xffff;
  } else {
    env.cw = mem.read16(at(0)) & 0xffff;
    env.sw = mem.read16(at(2)) & 0xffff;
    env.tw = mem.read16(at(4)) & 0xffff;
    env.ip = mem.read16(at(6)) & 0xffff;
    env.cs = mem.read16(at(8)) & 0xffff;
    env.opcode = 0;
    env.dp = mem.read16(at(10)) & 0xffff;
    env.ds = mem.read16(at(12)) & 0xffff;
  }
}

/**
 * The interpreter for two-byte (`0F xx`) opcodes: CMOVcc, Jcc near, SETcc, bit tests and scans,
 * SHLD/SHRD, IMUL, CMPXCHG/CMPXCHG8B/XADD, MOVZX/MOVSX, BSWAP, FS/GS push/pop, far-pointer loads,
 * multi-byte NOPs, and the system instructions of `system.ts`. Called by `execute.ts`.
 */
import { ALU_ADD, ALU_CMP, alu, imulTrunc, shiftDouble } from './alu.js';
import { type Cpu, REG_EAX, REG_EBX, REG_ECX, REG_EDX, SEG_FS, SEG_GS, SEG_SS } from './cpu.js';
import { jumpTo, loadFarPointer, popSegment, pushSegment } from './execute.js';
import { VEC_UD } from './fault.js';
import { FLAG_CF, FLAG_ZF, LAZY_LOGIC } from './flags.js';
import { found64, lockedCommit, lockedCompareExchange64, lockedRead } from './lock.js';
import { memLinear, opSize, readReg, readRm, readRmw, writeReg, writeRm, writeRmw } from './operands.js';
import {
  clts,
  cpuid,
  group6,
  group7,
  invalidateCaches,
  loadAccessOrLimit,
  modelSpecific,
  moveControl,
  moveDebug,
  rdtsc,
} from './system.js';

/** Executes the decoded `0F xx` instruction (`c.op` = 0x100 + xx). */
export function executeTwoByte(c: Cpu): void {
  const op = c.op & 0xff;
  const f = c.flags;
  if (op >= 0x40 && op <= 0x4f) {
    // CMOVcc: the source is read whatever the condition.
    const size = opSize(c);
    const v = readRm(c, size);
    if (f.test(op & 0xf)) writeReg(c, c.reg, size, v);
    return;
  }
  if (op >= 0x80 && op <= 0x8f) {
    if (f.test(op & 0xf)) jumpTo(c, c.eip + c.imm);
    return;
  }
  if (op >= 0x90 && op <= 0x9f) {
    writeRm(c, 1, f.test(op & 0xf) ? 1 : 0);
    return;
  }
  if (op >= 0xc8) {
    const r = op & 7;
    const v = c.regs[r];
    if (c.o32) c.regs[r] = (v >>> 24) | ((v >> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24) | 0;
    else c.setReg16(r, 0); // BSWAP r16 is undefined; P6-family parts clear the register's low word
    return;
  }
  switch (op) {
    case 0x00:
      group6(c);
      return;
    case 0x01:
      group7(c);
      return;
    case 0x02:
    case 0x03:
      loadAccessOrLimit(c, op - 2);
      return;
    case 0x06:
      clts(c);
      return;
    case 0x08:
    case 0x09:
      invalidateCaches(c);
      return;
    case 0x18:
    case 0x19:
    case 0x1a:
    case 0x1b:
    case 0x1c:
    case 0x1d:
    case 0x1e:
    case 0x1f:
      return; // hint NOPs: the operand is not accessed
    case 0x20:
    case 0x22:
      moveControl(c, op === 0x22);
      return;
    case 0x21:
    case 0x23:
      moveDebug(c, op === 0x23);
      return;
    case 0x30:
    case 0x32:
    case 0x33:
      modelSpecific(c);
      return;
    case 0x31:
      rdtsc(c);
      return;
    case 0xa0:
    case 0xa8:
      pushSegment(c, op === 0xa0 ? SEG_FS : SEG_GS);
      return;
    case 0xa1:
    case 0xa9:
      popSegment(c, op === 0xa1 ? SEG_FS : SEG_GS);
      return;
    case 0xa2:
      cpuid(c);
      return;
    case 0xa3:
    case 0xab:
    case 0xb3:
    case 0xbb:
      bitTest(c, (op >> 3) & 3, readReg(c, c.reg, opSize(c)), true);
      return;
    case 0xba:
      if (c.reg < 4) c.raise(VEC_UD, -1);
      bitTest(c, c.reg & 3, c.imm & 0xff, false);
      return;
    case 0xa4:
    case 0xa5:
    case 0xac:
    case 0xad: {
      const size = opSize(c);
      const count = (op & 1 ? c.regs[REG_ECX] : c.imm) & 0x1f;
      const v = readRmw(c, size);
      writeRmw(c, size, shiftDouble(f, op < 0xa8, v, readReg(c, c.reg, size), count, size));
      return;
    }
    case 0xaf: {
      const size = opSize(c);
      writeReg(c, c.reg, size, imulTrunc(f, readReg(c, c.reg, size), readRm(c, size), size));
      return;
    }
    case 0xb0:
    case 0xb1:
      cmpxchg(c, op === 0xb0 ? 1 : opSize(c));
      return;
    case 0xb2:
      loadFarPointer(c, SEG_SS);
      return;
    case 0xb4:
    case 0xb5:
      loadFarPointer(c, op === 0xb4 ? SEG_FS : SEG_GS);
      return;
    case 0xb6:
    case 0xb7:
      writeReg(c, c.reg, opSize(c), readRm(c, op === 0xb6 ? 1 : 2));
      return;
    case 0xbe:
      writeReg(c, c.reg, opSize(c), (readRm(c, 1) << 24) >> 24);
      return;
    case 0xbf:
      writeReg(c, c.reg, opSize(c), (readRm(c, 2) << 16) >> 16);
      return;
    case 0xbc:
    case 0xbd:
      bitScan(c, op === 0xbd);
      return;
    case 0xc0:
    case 0xc1:
      xadd(c, op === 0xc0 ? 1 : opSize(c));
      return;
    case 0xc7:
      if (c.reg !== 1 || c.rm >= 0) c.raise(VEC_UD, -1);
      cmpxchg8b(c);
      return;
    default:
      c.raise(VEC_UD, -1); // 0F 0B (UD2) and anything else described but not executable
  }
}

/**
 * BT/BTS/BTR/BTC (`kind` 0–3). With a register bit offset and a memory operand the offset is signed
 * and may reach outside the addressed dword.
 */
function bitTest(c: Cpu, kind: number, offset: number, fromRegister: boolean): void {
  const size = opSize(c);
  const bits = size * 8;
  let bit: number;
  if (c.rm < 0 && fromRegister) {
    const signed = size === 4 ? offset | 0 : (offset << 16) >> 16;
    const step = Math.floor(signed / bits) * size;
    c.ea = c.a32 ? (c.ea + step) | 0 : (c.ea + step) & 0xffff;
    bit = signed & (bits - 1);
  } else bit = offset & (bits - 1);
  const mask = 1 << bit;
  const f = c.flags;
  if (kind === 0) {
    f.setSome(FLAG_CF, (readRm(c, size) >>> bit) & 1);
    return;
  }
  if (c.lock) {
    const lin = c.segLinear(c.eaSeg, c.ea, size, true);
    for (;;) {
      const old = lockedRead(c, lin, size);
      if (lockedCommit(c, size, old, applyBit(kind, old, mask))) {
        f.setSome(FLAG_CF, (old >>> bit) & 1);
        return;
      }
    }
  }
  const v = readRmw(c, size);
  writeRmw(c, size, applyBit(kind, v, mask));
  f.setSome(FLAG_CF, (v >>> bit) & 1);
}

/** The new value for BTS (1), BTR (2), BTC (3). */
function applyBit(kind: number, v: number, mask: number): number {
  return kind === 1 ? v | mask : kind === 2 ? v & ~mask : v ^ mask;
}

/** BSF/BSR (and the F3-prefixed TZCNT/LZCNT encodings, which are BSF/BSR without BMI1/LZCNT). */
function bitScan(c: Cpu, reverse: boolean): void {
  const size = opSize(c);
  const v = readRm(c, size);
  if (v === 0) {
    c.flags.set(LAZY_LOGIC, 0, 0, 0, size); // ZF = 1, destination unchanged
    return;
  }
  const index = reverse ? 31 - Math.clz32(v) : 31 - Math.clz32(v & -v);
  writeReg(c, c.reg, size, index);
  c.flags.set(LAZY_LOGIC, 0, 0, 1, size);
}

function cmpxchg(c: Cpu, size: number): void {
  const f = c.flags;
  const acc = readReg(c, REG_EAX, size);
  const src = readReg(c, c.reg, size);
  if (c.rm >= 0) {
    const dst = readReg(c, c.rm, size);
    alu(f, ALU_CMP, acc, dst, size);
    if (acc === dst) writeReg(c, c.rm, size, src);
    else writeReg(c, REG_EAX, size, dst);
    return;
  }
  const lin = c.segLinear(c.eaSeg, c.ea, size, true);
  for (;;) {
    const old = lockedRead(c, lin, size);
    // The destination is written either way (with its own value on a mismatch), as the hardware does.
    const equal = old === acc;
    if (lockedCommit(c, size, old, equal ? src : old)) {
      alu(f, ALU_CMP, acc, old, size);
      if (!equal) writeReg(c, REG_EAX, size, old);
      return;
    }
  }
}

function xadd(c: Cpu, size: number): void {
  const f = c.flags;
  const src = readReg(c, c.reg, size);
  if (c.rm >= 0) {
    const dst = readReg(c, c.rm, size);
    const sum = alu(f, ALU_ADD, dst, src, size);
    writeReg(c, c.reg, size, dst);
    writeReg(c, c.rm, size, sum);
    return;
  }
  const lin = c.segLinear(c.eaSeg, c.ea, size, true);
  for (;;) {
    const old = lockedRead(c, lin, size);
    const sum = alu(f, ALU_ADD, old, src, size);
    if (lockedCommit(c, size, old, sum)) {
      writeReg(c, c.reg, size, old);
      return;
    }
  }
}

/** CMPXCHG8B m64 (atomic on shared memory when 8-byte aligned). */
function cmpxchg8b(c: Cpu): void {
  const regs = c.regs;
  const lin = memLinear(c, 0, 8, true);
  const equal = lockedCompareExchange64(c, lin, regs[REG_EAX], regs[REG_EDX], regs[REG_EBX], regs[REG_ECX]);
  if (equal) c.flags.setSome(FLAG_ZF, FLAG_ZF);
  else {
    regs[REG_EAX] = found64[0];
    regs[REG_EDX] = found64[1];
    c.flags.setSome(FLAG_ZF, 0);
  }
}

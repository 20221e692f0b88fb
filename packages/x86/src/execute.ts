/**
 * The interpreter for one-byte opcodes: executes the instruction `decoder.ts` just decoded into the
 * CPU's fields. `0F xx` opcodes go to `execute-0f.ts`, ESC opcodes to `fpu-dispatch.ts`, string
 * instructions to `string-ops.ts`. Nothing here allocates; faults are raised through the CPU.
 */
import {
  ALU_CMP,
  ALU_SUB,
  alu,
  asciiAdjustMulDiv,
  bcdAdjust,
  dec,
  divAcc,
  imulTrunc,
  inc,
  mulAcc,
  shift,
} from './alu.js';
import {
  Cpu,
  CR0_MP,
  CR0_TS,
  REG_EAX,
  REG_EBP,
  REG_EBX,
  REG_ECX,
  REG_EDX,
  REG_ESP,
  SEG_CS,
  SEG_DS,
  SEG_ES,
  SEG_SS,
} from './cpu.js';
import { executeTwoByte } from './execute-0f.js';
import { VEC_BR, VEC_NM, VEC_UD } from './fault.js';
import {
  FLAG_AC,
  FLAG_CF,
  FLAG_DF,
  FLAG_ID,
  FLAG_IF,
  FLAG_IOPL,
  FLAG_NT,
  FLAG_RF,
  FLAG_TF,
  FLAG_VM,
  STATUS_FLAGS,
} from './flags.js';
import { checkFpuWait, executeEsc } from './fpu-dispatch.js';
import { debugTrap, iret, softwareInterrupt } from './interrupts.js';
import { portIn, portOut } from './io.js';
import { lockedCommit, lockedRead } from './lock.js';
import {
  maskTo,
  memLinear,
  opSize,
  readReg,
  readRm,
  readRmw,
  signExtend,
  writeReg,
  writeRm,
  writeRmw,
} from './operands.js';
import { farCall, farJump, farReturn, loadSegment } from './segments.js';
import { stringOp } from './string-ops.js';

/** Jumps to `target` (masked to 16 bits for a 16-bit operand size), checking the CS limit. */
export function jumpTo(c: Cpu, target: number): void {
  if (!c.o32) target &= 0xffff;
  if (target >>> 0 > c.segLimit[SEG_CS]) c.gp(0);
  c.eip = target | 0;
}

/** Executes the decoded instruction. */
export function execute(c: Cpu): void {
  const op = c.op;
  if (c.lock) checkLockable(c);
  if (op < 0x40 && (op & 7) < 6) {
    aluBlock(c, op);
    return;
  }
  const regs = c.regs;
  const f = c.flags;
  switch (op) {
    case 0x06:
    case 0x0e:
    case 0x16:
    case 0x1e:
      pushSegment(c, op >> 3);
      return;
    case 0x07:
    case 0x17:
    case 0x1f:
      popSegment(c, op >> 3);
      return;
    case 0x27:
    case 0x2f:
    case 0x37:
    case 0x3f:
      bcdAdjust(c, op);
      return;
    case 0x40:
    case 0x41:
    case 0x42:
    case 0x43:
    case 0x44:
    case 0x45:
    case 0x46:
    case 0x47: {
      const size = opSize(c);
      writeReg(c, op & 7, size, inc(f, readReg(c, op & 7, size), size));
      return;
    }
    case 0x48:
    case 0x49:
    case 0x4a:
    case 0x4b:
    case 0x4c:
    case 0x4d:
    case 0x4e:
    case 0x4f: {
      const size = opSize(c);
      writeReg(c, op & 7, size, dec(f, readReg(c, op & 7, size), size));
      return;
    }
    case 0x50:
    case 0x51:
    case 0x52:
    case 0x53:
    case 0x54:
    case 0x55:
    case 0x56:
    case 0x57:
      c.push(c.o32 ? regs[op & 7] : regs[op & 7] & 0xffff);
      return;
    case 0x58:
    case 0x59:
    case 0x5a:
    case 0x5b:
    case 0x5c:
    case 0x5d:
    case 0x5e:
    case 0x5f: {
      const v = c.pop();
      writeReg(c, op & 7, opSize(c), v);
      return;
    }
    case 0x60:
      pusha(c);
      return;
    case 0x61:
      popa(c);
      return;
    case 0x62: {
      // BOUND Gv, Ma
      if (c.rm >= 0) c.raise(VEC_UD, -1);
      const size = opSize(c);
      const index = signExtend(readReg(c, c.reg, size), size);
      const lower = signExtend(readSized(c, memLinear(c, 0, size, false), size), size);
      const upper = signExtend(readSized(c, memLinear(c, size, size, false), size), size);
      if (index < lower || index > upper) c.raise(VEC_BR, -1);
      return;
    }
    case 0x63: {
      // ARPL Ew, Gw
      const dst = readRmw(c, 2);
      const src = regs[c.reg] & 0xffff;
      if ((dst & 3) < (src & 3)) {
        writeRmw(c, 2, (dst & ~3) | (src & 3));
        f.setSome(0x40, 0x40);
      } else f.setSome(0x40, 0);
      return;
    }
    case 0x68:
    case 0x6a:
      c.push(c.o32 ? c.imm : c.imm & 0xffff);
      return;
    case 0x69:
    case 0x6b: {
      const size = opSize(c);
      writeReg(c, c.reg, size, imulTrunc(f, readRm(c, size), maskTo(c.imm, size), size));
      return;
    }
    case 0x6c:
    case 0x6d:
    case 0x6e:
    case 0x6f:
    case 0xa4:
    case 0xa5:
    case 0xa6:
    case 0xa7:
    case 0xaa:
    case 0xab:
    case 0xac:
    case 0xad:
    case 0xae:
    case 0xaf:
      stringOp(c);
      return;
    case 0x70:
    case 0x71:
    case 0x72:
    case 0x73:
    case 0x74:
    case 0x75:
    case 0x76:
    case 0x77:
    case 0x78:
    case 0x79:
    case 0x7a:
    case 0x7b:
    case 0x7c:
    case 0x7d:
    case 0x7e:
    case 0x7f:
      if (f.test(op & 0xf)) jumpTo(c, c.eip + c.imm);
      return;
    case 0x80:
    case 0x81:
    case 0x82:
    case 0x83: {
      const size = op === 0x81 || op === 0x83 ? opSize(c) : 1;
      const src = maskTo(c.imm, size);
      aluRm(c, c.reg, size, src);
      return;
    }
    case 0x84:
    case 0x85: {
      const size = op === 0x84 ? 1 : opSize(c);
      alu(f, 4, readRm(c, size), readReg(c, c.reg, size), size);
      return;
    }
    case 0x86:
    case 0x87: {
      const size = op === 0x86 ? 1 : opSize(c);
      const r = readReg(c, c.reg, size);
      if (c.rm >= 0) {
        writeReg(c, c.reg, size, readReg(c, c.rm, size));
        writeReg(c, c.rm, size, r);
      } else {
        // XCHG with memory is always locked.
        const lin = c.segLinear(c.eaSeg, c.ea, size, true);
        let old: number;
        do old = lockedRead(c, lin, size);
        while (!lockedCommit(c, size, old, r));
        writeReg(c, c.reg, size, old);
      }
      return;
    }
    case 0x88:
      writeRm(c, 1, c.getReg8(c.reg));
      return;
    case 0x89:
      writeRm(c, opSize(c), regs[c.reg]);
      return;
    case 0x8a:
      c.setReg8(c.reg, readRm(c, 1));
      return;
    case 0x8b:
      writeReg(c, c.reg, opSize(c), readRm(c, opSize(c)));
      return;
    case 0x8c:
      // MOV Ew, Sreg: a register destination gets the zero-extended selector.
      if (c.reg > 5) c.raise(VEC_UD, -1);
      if (c.rm >= 0) writeReg(c, c.rm, opSize(c), c.segSel[c.reg] & 0xffff);
      else writeRm(c, 2, c.segSel[c.reg]);
      return;
    case 0x8d:
      if (c.rm >= 0) c.raise(VEC_UD, -1);
      writeReg(c, c.reg, opSize(c), c.ea);
      return;
    case 0x8e:
      if (c.reg === SEG_CS || c.reg > 5) c.raise(VEC_UD, -1);
      loadSegment(c, c.reg, readRm(c, 2));
      return;
    case 0x8f: {
      // POP Ev: an ESP-based address is computed after the increment.
      if (c.reg !== 0) c.raise(VEC_UD, -1);
      const size = opSize(c);
      const v = c.peek(0, size);
      if (c.eaBase === REG_ESP) c.ea = (c.ea + size) | 0;
      if (c.rm === REG_ESP) {
        writeReg(c, REG_ESP, size, v); // POP ESP: the popped value wins over the increment
        return;
      }
      writeRm(c, size, v);
      c.adjustStack(size);
      return;
    }
    case 0x90:
      return;
    case 0x91:
    case 0x92:
    case 0x93:
    case 0x94:
    case 0x95:
    case 0x96:
    case 0x97: {
      const size = opSize(c);
      const r = op & 7;
      const t = readReg(c, r, size);
      writeReg(c, r, size, readReg(c, REG_EAX, size));
      writeReg(c, REG_EAX, size, t);
      return;
    }
    case 0x98:
      if (c.o32) regs[REG_EAX] = (regs[REG_EAX] << 16) >> 16;
      else c.setReg16(REG_EAX, (regs[REG_EAX] << 24) >> 24);
      return;
    case 0x99:
      if (c.o32) regs[REG_EDX] = regs[REG_EAX] >> 31;
      else c.setReg16(REG_EDX, (regs[REG_EAX] << 16) >> 31);
      return;
    case 0x9a:
      farCall(c, c.imm2, c.imm);
      return;
    case 0x9b:
      // WAIT/FWAIT
      if ((c.cr0 & (CR0_TS | CR0_MP)) === (CR0_TS | CR0_MP)) c.raise(VEC_NM, -1);
      checkFpuWait(c);
      return;
    case 0x9c: {
      const v = f.get() & ~(FLAG_VM | FLAG_RF);
      c.push(c.o32 ? v : v & 0xffff);
      return;
    }
    case 0x9d:
      popf(c);
      return;
    case 0x9e:
      f.setSome(0xd5, (regs[REG_EAX] >> 8) & 0xd5);
      return;
    case 0x9f:
      c.setReg8(4, (f.get() & 0xd5) | 2);
      return;
    case 0xa0:
      c.setReg8(REG_EAX, c.readSeg8(c.eaSeg, c.ea));
      return;
    case 0xa1:
      writeReg(c, REG_EAX, opSize(c), c.o32 ? c.readSeg32(c.eaSeg, c.ea) : c.readSeg16(c.eaSeg, c.ea));
      return;
    case 0xa2:
      c.writeSeg8(c.eaSeg, c.ea, regs[REG_EAX]);
      return;
    case 0xa3:
      if (c.o32) c.writeSeg32(c.eaSeg, c.ea, regs[REG_EAX]);
      else c.writeSeg16(c.eaSeg, c.ea, regs[REG_EAX]);
      return;
    case 0xa8:
      alu(f, 4, regs[REG_EAX] & 0xff, c.imm & 0xff, 1);
      return;
    case 0xa9: {
      const size = opSize(c);
      alu(f, 4, readReg(c, REG_EAX, size), maskTo(c.imm, size), size);
      return;
    }
    case 0xb0:
    case 0xb1:
    case 0xb2:
    case 0xb3:
    case 0xb4:
    case 0xb5:
    case 0xb6:
    case 0xb7:
      c.setReg8(op & 7, c.imm);
      return;
    case 0xb8:
    case 0xb9:
    case 0xba:
    case 0xbb:
    case 0xbc:
    case 0xbd:
    case 0xbe:
    case 0xbf:
      writeReg(c, op & 7, opSize(c), c.imm);
      return;
    case 0xc0:
    case 0xc1:
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
      const size = op & 1 ? opSize(c) : 1;
      const count = (op >= 0xd2 ? regs[REG_ECX] : op >= 0xd0 ? 1 : c.imm) & 0x1f;
      const v = readRmw(c, size);
      writeRmw(c, size, shift(f, c.reg, v, count, size));
      return;
    }
    case 0xc2:
    case 0xc3: {
      const size = opSize(c);
      const target = c.peek(0, size);
      jumpTo(c, target);
      c.adjustStack(size + (op === 0xc2 ? c.imm : 0));
      return;
    }
    case 0xc4:
    case 0xc5:
      loadFarPointer(c, op === 0xc4 ? SEG_ES : SEG_DS);
      return;
    case 0xc6:
    case 0xc7: {
      if (c.reg !== 0) c.raise(VEC_UD, -1);
      const size = op === 0xc6 ? 1 : opSize(c);
      writeRm(c, size, c.imm);
      return;
    }
    case 0xc8:
      enter(c, c.imm & 0xffff, c.imm2 & 0x1f);
      return;
    case 0xc9: {
      // LEAVE
      const size = opSize(c);
      const bp = c.stack32 ? regs[REG_EBP] : regs[REG_EBP] & 0xffff;
      const v = size === 4 ? c.readSeg32(SEG_SS, bp) : c.readSeg16(SEG_SS, bp);
      if (c.stack32) regs[REG_ESP] = (bp + size) | 0;
      else c.setReg16(REG_ESP, bp + size);
      writeReg(c, REG_EBP, size, v);
      return;
    }
    case 0xca:
    case 0xcb:
      farReturn(c, op === 0xca ? c.imm : 0);
      return;
    case 0xcc:
      softwareInterrupt(c, 3);
      return;
    case 0xcd:
      softwareInterrupt(c, c.imm & 0xff);
      return;
    case 0xce:
      if (f.of()) softwareInterrupt(c, 4);
      return;
    case 0xcf:
      iret(c);
      return;
    case 0xd4:
    case 0xd5:
      asciiAdjustMulDiv(c, op === 0xd4, c.imm & 0xff);
      return;
    case 0xd6:
      c.setReg8(REG_EAX, f.cf() ? 0xff : 0);
      return;
    case 0xd7: {
      const seg = c.segOverride >= 0 ? c.segOverride : SEG_DS;
      const off = c.a32
        ? (regs[REG_EBX] + (regs[REG_EAX] & 0xff)) | 0
        : (regs[REG_EBX] + (regs[REG_EAX] & 0xff)) & 0xffff;
      c.setReg8(REG_EAX, c.readSeg8(seg, off));
      return;
    }
    case 0xd8:
    case 0xd9:
    case 0xda:
    case 0xdb:
    case 0xdc:
    case 0xdd:
    case 0xde:
    case 0xdf:
      executeEsc(c);
      return;
    case 0xe0:
    case 0xe1:
    case 0xe2: {
      const count = c.a32 ? (regs[REG_ECX] - 1) | 0 : (regs[REG_ECX] - 1) & 0xffff;
      let taken = count !== 0;
      if (op === 0xe0) taken &&= f.zf() === 0;
      else if (op === 0xe1) taken &&= f.zf() !== 0;
      const target = c.eip + c.imm;
      if (taken) jumpTo(c, target);
      if (c.a32) regs[REG_ECX] = count;
      else c.setReg16(REG_ECX, count);
      return;
    }
    case 0xe3:
      if ((c.a32 ? regs[REG_ECX] : regs[REG_ECX] & 0xffff) === 0) jumpTo(c, c.eip + c.imm);
      return;
    case 0xe4:
      c.setReg8(REG_EAX, portIn(c, c.imm & 0xff, 1));
      return;
    case 0xe5:
      writeReg(c, REG_EAX, opSize(c), portIn(c, c.imm & 0xff, c.o32 ? 4 : 2));
      return;
    case 0xe6:
      portOut(c, c.imm & 0xff, 1, regs[REG_EAX]);
      return;
    case 0xe7:
      portOut(c, c.imm & 0xff, c.o32 ? 4 : 2, regs[REG_EAX]);
      return;
    case 0xec:
      c.setReg8(REG_EAX, portIn(c, regs[REG_EDX] & 0xffff, 1));
      return;
    case 0xed:
      writeReg(c, REG_EAX, opSize(c), portIn(c, regs[REG_EDX] & 0xffff, c.o32 ? 4 : 2));
      return;
    case 0xee:
      portOut(c, regs[REG_EDX] & 0xffff, 1, regs[REG_EAX]);
      return;
    case 0xef:
      portOut(c, regs[REG_EDX] & 0xffff, c.o32 ? 4 : 2, regs[REG_EAX]);
      return;
    case 0xe8: {
      const target = c.o32 ? (c.eip + c.imm) | 0 : (c.eip + c.imm) & 0xffff;
      if (target >>> 0 > c.segLimit[SEG_CS]) c.gp(0);
      c.push(c.eip);
      c.eip = target;
      return;
    }
    case 0xe9:
    case 0xeb:
      jumpTo(c, c.eip + c.imm);
      return;
    case 0xea:
      farJump(c, c.imm2, c.o32 ? c.imm : c.imm & 0xffff);
      return;
    case 0xf1:
      debugTrap(c);
      return;
    case 0xf4:
      if (c.cpl !== 0) c.gp(0);
      c.exit(Cpu.EXIT_HALT);
      return;
    case 0xf5:
      f.setSome(FLAG_CF, f.cf() ^ 1);
      return;
    case 0xf6:
    case 0xf7:
      group3(c, op === 0xf6 ? 1 : opSize(c));
      return;
    case 0xf8:
      f.setSome(FLAG_CF, 0);
      return;
    case 0xf9:
      f.setSome(FLAG_CF, 1);
      return;
    case 0xfa:
    case 0xfb:
      if (c.cpl > c.iopl) c.gp(0);
      f.bits = op === 0xfa ? f.bits & ~FLAG_IF : f.bits | FLAG_IF;
      return;
    case 0xfc:
      f.bits &= ~FLAG_DF;
      return;
    case 0xfd:
      f.bits |= FLAG_DF;
      return;
    case 0xfe:
      if (c.reg > 1) c.raise(VEC_UD, -1);
      incDecRm(c, 1);
      return;
    case 0xff:
      group5(c);
      return;
    default:
      if (op >= 0x100) {
        executeTwoByte(c);
        return;
      }
      c.raise(VEC_UD, -1);
  }
}

function readSized(c: Cpu, lin: number, size: number): number {
  return size === 4 ? c.rd32(lin) : size === 2 ? c.rd16(lin) : c.rd8(lin);
}

/** LOCK is legal only on a memory-destination read-modify-write; anything else is #UD. */
function checkLockable(c: Cpu): void {
  const op = c.op;
  let ok = false;
  if (c.rm < 0) {
    if (op < 0x40) ok = (op & 7) < 2 && op >> 3 !== 7;
    else if (op >= 0x80 && op <= 0x83) ok = c.reg !== 7;
    else if (op === 0x86 || op === 0x87) ok = true;
    else if (op === 0xf6 || op === 0xf7) ok = c.reg === 2 || c.reg === 3;
    else if (op === 0xfe || op === 0xff) ok = c.reg < 2;
    else if (op === 0x1ab || op === 0x1b3 || op === 0x1bb || op === 0x1b0 || op === 0x1b1) ok = true;
    else if (op === 0x1c0 || op === 0x1c1) ok = true;
    else if (op === 0x1ba) ok = c.reg >= 5;
    else if (op === 0x1c7) ok = c.reg === 1;
  }
  if (!ok) c.raise(VEC_UD, -1);
}

/** Opcodes 00–3D: the eight ALU operations in their six forms. */
function aluBlock(c: Cpu, op: number): void {
  const form = op & 7;
  const aop = op >> 3;
  const size = form & 1 ? opSize(c) : 1;
  switch (form) {
    case 0:
    case 1:
      aluRm(c, aop, size, readReg(c, c.reg, size));
      return;
    case 2:
    case 3: {
      const r = alu(c.flags, aop, readReg(c, c.reg, size), readRm(c, size), size);
      if (aop !== ALU_CMP) writeReg(c, c.reg, size, r);
      return;
    }
    default: {
      const r = alu(c.flags, aop, readReg(c, REG_EAX, size), maskTo(c.imm, size), size);
      if (aop !== ALU_CMP) writeReg(c, REG_EAX, size, r);
    }
  }
}

/** ALU operation on the ModRM operand with `src` (locked when prefixed). */
function aluRm(c: Cpu, aop: number, size: number, src: number): void {
  if (aop === ALU_CMP) {
    alu(c.flags, ALU_CMP, readRm(c, size), src, size);
    return;
  }
  if (c.lock) {
    const lin = c.segLinear(c.eaSeg, c.ea, size, true);
    for (;;) {
      const old = lockedRead(c, lin, size);
      const r = alu(c.flags, aop, old, src, size);
      if (lockedCommit(c, size, old, r)) return;
    }
  }
  const v = readRmw(c, size);
  writeRmw(c, size, alu(c.flags, aop, v, src, size));
}

function incDecRm(c: Cpu, size: number): void {
  const f = c.flags;
  if (c.lock) {
    const lin = c.segLinear(c.eaSeg, c.ea, size, true);
    for (;;) {
      const old = lockedRead(c, lin, size);
      const r = c.reg === 0 ? inc(f, old, size) : dec(f, old, size);
      if (lockedCommit(c, size, old, r)) return;
    }
  }
  const v = readRmw(c, size);
  writeRmw(c, size, c.reg === 0 ? inc(f, v, size) : dec(f, v, size));
}

/** Group 3: TEST, NOT, NEG, MUL, IMUL, DIV, IDIV. */
function group3(c: Cpu, size: number): void {
  const f = c.flags;
  switch (c.reg) {
    case 0:
    case 1:
      alu(f, 4, readRm(c, size), maskTo(c.imm, size), size);
      return;
    case 2:
    case 3: {
      if (c.lock) {
        const lin = c.segLinear(c.eaSeg, c.ea, size, true);
        for (;;) {
          const old = lockedRead(c, lin, size);
          const r = c.reg === 2 ? ~old : alu(f, ALU_SUB, 0, old, size);
          if (lockedCommit(c, size, old, r)) return;
        }
      }
      const v = readRmw(c, size);
      writeRmw(c, size, c.reg === 2 ? ~v : alu(f, ALU_SUB, 0, v, size));
      return;
    }
    case 4:
    case 5:
      mulAcc(c, readRm(c, size), size, c.reg === 5);
      return;
    default:
      divAcc(c, readRm(c, size), size, c.reg === 7);
  }
}

/** Group 5: INC, DEC, CALL near/far indirect, JMP near/far indirect, PUSH. */
function group5(c: Cpu): void {
  const size = opSize(c);
  switch (c.reg) {
    case 0:
    case 1:
      incDecRm(c, size);
      return;
    case 2: {
      const target = readRm(c, size);
      const t = c.o32 ? target : target & 0xffff;
      if (t >>> 0 > c.segLimit[SEG_CS]) c.gp(0);
      c.push(c.eip);
      c.eip = t;
      return;
    }
    case 3:
    case 5: {
      if (c.rm >= 0) c.raise(VEC_UD, -1);
      const offset = readSized(c, memLinear(c, 0, size, false), size);
      const selector = c.rd16(memLinear(c, size, 2, false));
      if (c.reg === 3) farCall(c, selector, offset);
      else farJump(c, selector, offset);
      return;
    }
    case 4:
      jumpTo(c, readRm(c, size));
      return;
    case 6:
      c.push(readRm(c, size));
      return;
    default:
      c.raise(VEC_UD, -1);
  }
}

/** PUSH Sreg: with a 32-bit operand size only the low 16 bits are written (P6 and later). */
export function pushSegment(c: Cpu, seg: number): void {
  const sel = c.segSel[seg] & 0xffff;
  if (!c.o32) {
    c.push16(sel);
    return;
  }
  const off = c.stackOffset(-4);
  c.wr16(c.segLinear(SEG_SS, off, 4, true), sel);
  c.adjustStack(-4);
}

/** POP Sreg: the stack pointer moves only once the load succeeded. */
export function popSegment(c: Cpu, seg: number): void {
  const size = opSize(c);
  const sel = c.peek(0, size) & 0xffff;
  loadSegment(c, seg, sel);
  c.adjustStack(size);
}

/** LDS/LES/LSS/LFS/LGS: offset then selector from memory. */
export function loadFarPointer(c: Cpu, seg: number): void {
  if (c.rm >= 0) c.raise(VEC_UD, -1);
  const size = opSize(c);
  const offset = readSized(c, memLinear(c, 0, size, false), size);
  const selector = c.rd16(memLinear(c, size, 2, false));
  loadSegment(c, seg, selector);
  writeReg(c, c.reg, size, offset);
}

/** PUSHA/PUSHAD. */
export function pusha(c: Cpu): void {
  const size = opSize(c);
  const regs = c.regs;
  const sp = regs[REG_ESP];
  for (let i = 0; i < 8; i++) {
    const v = i === REG_ESP ? sp : regs[i];
    const lin = c.segLinear(SEG_SS, c.stackOffset(-(i + 1) * size), size, true);
    if (size === 4) c.wr32(lin, v);
    else c.wr16(lin, v);
  }
  c.adjustStack(-8 * size);
}

/** POPA/POPAD. */
export function popa(c: Cpu): void {
  const size = opSize(c);
  // Read everything first so a fault leaves the registers untouched.
  const di = c.peek(0, size);
  const si = c.peek(size, size);
  const bp = c.peek(2 * size, size);
  const bx = c.peek(4 * size, size);
  const dx = c.peek(5 * size, size);
  const cx = c.peek(6 * size, size);
  const ax = c.peek(7 * size, size);
  writeReg(c, 7, size, di);
  writeReg(c, 6, size, si);
  writeReg(c, 5, size, bp);
  writeReg(c, 3, size, bx);
  writeReg(c, 2, size, dx);
  writeReg(c, 1, size, cx);
  writeReg(c, 0, size, ax);
  c.adjustStack(8 * size);
}

/** POPF: IOPL changes only at CPL 0, IF only at CPL ≤ IOPL; VM and RF never. */
function popf(c: Cpu): void {
  const size = opSize(c);
  const v = c.peek(0, size);
  let changeable = STATUS_FLAGS | FLAG_TF | FLAG_DF | FLAG_NT | FLAG_AC | FLAG_ID;
  if (c.cpl === 0) changeable |= FLAG_IOPL | FLAG_IF;
  else if (c.cpl <= c.iopl) changeable |= FLAG_IF;
  if (size === 2) changeable &= 0xffff;
  const old = c.flags.get();
  c.flags.load(((old & ~changeable) | (v & changeable)) & ~FLAG_RF);
  c.adjustStack(size);
}

/** One push of ENTER's frame at stack pointer `sp`; returns the new stack pointer. */
function enterPush(c: Cpu, sp: number, v: number, size: number): number {
  const next = c.stack32 ? (sp - size) | 0 : (sp & ~0xffff) | ((sp - size) & 0xffff);
  const lin = c.segLinear(SEG_SS, c.stack32 ? next : next & 0xffff, size, true);
  if (size === 4) c.wr32(lin, v);
  else c.wr16(lin, v);
  return next;
}

/** ENTER imm16, imm8: registers change only once every push succeeded. */
function enter(c: Cpu, frameSize: number, level: number): void {
  const size = opSize(c);
  const regs = c.regs;
  const mask = c.stack32 ? -1 : 0xffff;
  const bp0 = regs[REG_EBP];
  let sp = enterPush(c, regs[REG_ESP], bp0, size);
  const frameTemp = sp;
  if (level > 0) {
    let bp = bp0;
    for (let i = 1; i < level; i++) {
      bp = c.stack32 ? (bp - size) | 0 : (bp & ~0xffff) | ((bp - size) & 0xffff);
      const v = size === 4 ? c.readSeg32(SEG_SS, bp & mask) : c.readSeg16(SEG_SS, bp & mask);
      sp = enterPush(c, sp, v, size);
    }
    sp = enterPush(c, sp, frameTemp, size);
  }
  const newSp = c.stack32 ? (sp - frameSize) | 0 : (sp & ~0xffff) | ((sp - frameSize) & 0xffff);
  // The new stack top must be writable (the hardware checks it before committing).
  if (frameSize > 0) c.segLinear(SEG_SS, newSp & mask, 1, true);
  writeReg(c, REG_EBP, size, frameTemp);
  regs[REG_ESP] = newSp;
}

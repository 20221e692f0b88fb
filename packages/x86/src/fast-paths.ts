/**
 * Specialised executors for the commonest instruction forms, chosen once per decoded record.
 *
 * When `decode-cache.ts` stores a record it asks {@link selectRunner} for the function that will
 * execute it on every later visit. For the forms compiled code runs most — register and memory ALU
 * operations, INC/DEC, MOV, LEA, TEST, PUSH/POP, near CALL/RET/JMP/Jcc — with 32-bit operand and
 * address size and no LOCK or REP prefix, that function reads its operands straight from the record
 * and does the work in a few lines, skipping the generic path's copy of the record into the CPU's
 * decoded fields and the interpreter's dispatch. Everything else gets {@link replayGeneric}, which is
 * that generic path. Each executor here has exactly the semantics of the `execute.ts` case it stands
 * for (same checks, same order of memory accesses, same faults); the conformance suite runs both.
 */
import { ALU_CMP, alu, dec, inc } from './alu.js';
import type { Cpu } from './cpu.js';
import type { Decoded } from './decode-cache.js';
import { computeEa, NO_REG } from './decoder.js';
import { execute, popa, popSegment, pusha, pushSegment } from './execute.js';
import { VEC_UD } from './fault.js';
import { FLAG_DF } from './flags.js';
import { iret, softwareInterrupt } from './interrupts.js';
import { loadSegment } from './segments.js';

/** Executes a decoded record; EIP already points after the instruction. */
export type Runner = (c: Cpu, d: Decoded) => void;

const SEG_CS = 1;

/** The generic path: loads the record into the CPU's decoded fields and runs the interpreter. */
export function replayGeneric(c: Cpu, d: Decoded): void {
  c.op = d.op;
  c.modrm = d.modrm;
  c.reg = d.reg;
  c.rm = d.rm;
  c.o32 = d.o32;
  c.a32 = d.a32;
  c.lock = d.lock;
  c.rep = d.rep;
  c.segOverride = d.segOverride;
  c.imm = d.imm;
  c.imm2 = d.imm2;
  if (d.memory) {
    c.eaSeg = d.eaSeg;
    c.eaBase = d.eaBase;
    c.eaIndex = d.eaIndex;
    c.eaScale = d.eaScale;
    c.eaDisp = d.eaDisp;
    computeEa(c);
  }
  execute(c);
}

/** The 32-bit effective address of the record's memory operand, from the current registers. */
function ea32(c: Cpu, d: Decoded): number {
  let ea = d.eaDisp;
  if (d.eaBase !== NO_REG) ea += c.regs[d.eaBase];
  if (d.eaIndex !== NO_REG) ea += c.regs[d.eaIndex] << d.eaScale;
  return ea | 0;
}

/** A near transfer to `target` with a 32-bit operand size: #GP(0) beyond the CS limit. */
function jump32(c: Cpu, target: number): void {
  if (target >>> 0 > c.segLimit[SEG_CS]) c.gp(0);
  c.eip = target | 0;
}

// --- ALU: `d.arg` is the operation (ALU_*) --------------------------------------------------------

/** op Ev,Gv with a register destination (01, 09, … 39 with mod = 3). */
function aluRegReg(c: Cpu, d: Decoded): void {
  const regs = c.regs;
  const r = alu(c.flags, d.arg, regs[d.rm], regs[d.reg], 4);
  if (d.arg !== ALU_CMP) regs[d.rm] = r;
}

/** op Gv,Ev with a register source (03, 0B, … 3B with mod = 3). */
function aluRegRegReverse(c: Cpu, d: Decoded): void {
  const regs = c.regs;
  const r = alu(c.flags, d.arg, regs[d.reg], regs[d.rm], 4);
  if (d.arg !== ALU_CMP) regs[d.reg] = r;
}

/** op Ev,Iv / op Ev,Ib with a register destination (81, 83 with mod = 3). */
function aluRegImm(c: Cpu, d: Decoded): void {
  const regs = c.regs;
  const r = alu(c.flags, d.arg, regs[d.rm], d.imm, 4);
  if (d.arg !== ALU_CMP) regs[d.rm] = r;
}

/** op eAX,Iv (05, 0D, … 3D). */
function aluAccImm(c: Cpu, d: Decoded): void {
  const regs = c.regs;
  const r = alu(c.flags, d.arg, regs[0], d.imm, 4);
  if (d.arg !== ALU_CMP) regs[0] = r;
}

/** A read-modify-write of a memory dword with `src` (the write rights are checked by the read). */
function aluMem(c: Cpu, d: Decoded, src: number): void {
  const lin = c.segLinear(d.eaSeg, ea32(c, d), 4, true);
  const v = c.rd32w(lin);
  c.wr32(lin, alu(c.flags, d.arg, v, src, 4));
}

/** CMP of a memory dword with `src`: a read only. */
function cmpMem(c: Cpu, d: Decoded, src: number): void {
  alu(c.flags, ALU_CMP, c.rd32(c.segLinear(d.eaSeg, ea32(c, d), 4, false)), src, 4);
}

function aluMemReg(c: Cpu, d: Decoded): void {
  aluMem(c, d, c.regs[d.reg]);
}

function cmpMemReg(c: Cpu, d: Decoded): void {
  cmpMem(c, d, c.regs[d.reg]);
}

function aluMemImm(c: Cpu, d: Decoded): void {
  aluMem(c, d, d.imm);
}

function cmpMemImm(c: Cpu, d: Decoded): void {
  cmpMem(c, d, d.imm);
}

/** op Gv,Ev with a memory source (03, … 3B). */
function aluRegMem(c: Cpu, d: Decoded): void {
  const regs = c.regs;
  const v = c.rd32(c.segLinear(d.eaSeg, ea32(c, d), 4, false));
  const r = alu(c.flags, d.arg, regs[d.reg], v, 4);
  if (d.arg !== ALU_CMP) regs[d.reg] = r;
}

function testRegReg(c: Cpu, d: Decoded): void {
  alu(c.flags, 4, c.regs[d.rm], c.regs[d.reg], 4);
}

function testMemReg(c: Cpu, d: Decoded): void {
  alu(c.flags, 4, c.rd32(c.segLinear(d.eaSeg, ea32(c, d), 4, false)), c.regs[d.reg], 4);
}

// --- INC/DEC, MOV, LEA ---------------------------------------------------------------------------

/** INC r32 (40+r): `d.arg` is the register. */
function incReg(c: Cpu, d: Decoded): void {
  c.regs[d.arg] = inc(c.flags, c.regs[d.arg], 4);
}

/** DEC r32 (48+r). */
function decReg(c: Cpu, d: Decoded): void {
  c.regs[d.arg] = dec(c.flags, c.regs[d.arg], 4);
}

function movRegReg(c: Cpu, d: Decoded): void {
  c.regs[d.rm] = c.regs[d.reg];
}

function movRegRegReverse(c: Cpu, d: Decoded): void {
  c.regs[d.reg] = c.regs[d.rm];
}

/** MOV Ev,Gv to memory (89). */
function storeReg(c: Cpu, d: Decoded): void {
  c.wr32(c.segLinear(d.eaSeg, ea32(c, d), 4, true), c.regs[d.reg]);
}

/** MOV Gv,Ev from memory (8B). */
function loadReg(c: Cpu, d: Decoded): void {
  c.regs[d.reg] = c.rd32(c.segLinear(d.eaSeg, ea32(c, d), 4, false));
}

/** MOV r32, imm32 (B8+r) and MOV Ev, Iv with a register (C7 /0, mod = 3): `d.arg` is the register. */
function movRegImm(c: Cpu, d: Decoded): void {
  c.regs[d.arg] = d.imm;
}

/** MOV Ev, Iv to memory (C7 /0). */
function storeImm(c: Cpu, d: Decoded): void {
  c.wr32(c.segLinear(d.eaSeg, ea32(c, d), 4, true), d.imm);
}

function lea(c: Cpu, d: Decoded): void {
  c.regs[d.reg] = ea32(c, d);
}

/** MOVZX Gv, Eb from memory (0F B6). */
function movzxByteMem(c: Cpu, d: Decoded): void {
  c.regs[d.reg] = c.rd8(c.segLinear(d.eaSeg, ea32(c, d), 1, false));
}

/** MOVZX Gv, Ew from memory (0F B7). */
function movzxWordMem(c: Cpu, d: Decoded): void {
  c.regs[d.reg] = c.rd16(c.segLinear(d.eaSeg, ea32(c, d), 2, false));
}

// --- Stack and control transfer ------------------------------------------------------------------

/** PUSH r32 (50+r): PUSH ESP stores the value before the decrement. */
function pushReg(c: Cpu, d: Decoded): void {
  c.push32(c.regs[d.arg]);
}

/** POP r32 (58+r): the stack pointer moves first, so POP ESP leaves the popped value. */
function popReg(c: Cpu, d: Decoded): void {
  const v = c.peek(0, 4);
  c.adjustStack(4);
  c.regs[d.arg] = v;
}

/** PUSH imm (68, 6A). */
function pushImm(c: Cpu, d: Decoded): void {
  c.push32(d.imm);
}

/** Jcc rel8/rel32 (70+cc, 0F 80+cc): `d.arg` is the condition. */
function jcc(c: Cpu, d: Decoded): void {
  if (c.flags.test(d.arg)) jump32(c, c.eip + d.imm);
}

/** JMP rel8/rel32 (EB, E9). */
function jmpRel(c: Cpu, d: Decoded): void {
  jump32(c, c.eip + d.imm);
}

/** CALL rel32 (E8): the target is checked before anything is pushed. */
function callRel(c: Cpu, d: Decoded): void {
  const target = (c.eip + d.imm) | 0;
  if (target >>> 0 > c.segLimit[SEG_CS]) c.gp(0);
  c.push32(c.eip);
  c.eip = target;
}

/** RET (C3): the stack pointer moves only once the target passed the limit check. */
function ret(c: Cpu, _d: Decoded): void {
  jump32(c, c.peek(0, 4));
  c.adjustStack(4);
}

function nop(_c: Cpu, _d: Decoded): void {}

/** MOV EAX, moffs32 (A1): the offset is the record's displacement. */
function loadAccMoffs(c: Cpu, d: Decoded): void {
  c.regs[0] = c.rd32(c.segLinear(d.eaSeg, d.eaDisp, 4, false));
}

/** MOV moffs32, EAX (A3). */
function storeAccMoffs(c: Cpu, d: Decoded): void {
  c.wr32(c.segLinear(d.eaSeg, d.eaDisp, 4, true), c.regs[0]);
}

/** The target of an indirect near CALL/JMP (FF /2, FF /4) from a register or memory. */
function indirectTarget(c: Cpu, d: Decoded): number {
  return d.rm >= 0 ? c.regs[d.rm] : c.rd32(c.segLinear(d.eaSeg, ea32(c, d), 4, false));
}

/** CALL Ev (FF /2): a call through a register or a function-pointer table. */
function callIndirect(c: Cpu, d: Decoded): void {
  const target = indirectTarget(c, d);
  if (target >>> 0 > c.segLimit[SEG_CS]) c.gp(0);
  c.push32(c.eip);
  c.eip = target;
}

/** JMP Ev (FF /4): a jump table or a tail call through a pointer. */
function jmpIndirect(c: Cpu, d: Decoded): void {
  jump32(c, indirectTarget(c, d));
}

// --- The system-call path: INT n, IRET, segment registers, PUSHA/POPA, CLD ---------------------
// A system call or an interrupt through the guest kernel's entry code runs these once each; replayed
// directly they skip the interpreter's dispatch. The helpers read the operand size from the CPU's
// decoded fields, which only the generic replay fills: every record here is 32-bit, so say so.

/** INT imm8 (CD). */
function intImm(c: Cpu, d: Decoded): void {
  c.o32 = true;
  softwareInterrupt(c, d.imm & 0xff);
}

/** IRETD (CF). */
function iretd(c: Cpu, _d: Decoded): void {
  c.o32 = true;
  iret(c);
}

/** PUSH ES/CS/SS/DS/FS/GS (06, 0E, 16, 1E, 0F A0, 0F A8): `d.arg` is the segment register. */
function pushSreg(c: Cpu, d: Decoded): void {
  c.o32 = true;
  pushSegment(c, d.arg);
}

/** POP ES/SS/DS/FS/GS (07, 17, 1F, 0F A1, 0F A9). */
function popSreg(c: Cpu, d: Decoded): void {
  c.o32 = true;
  popSegment(c, d.arg);
}

/** MOV Sreg, r16/32 (8E with a register operand). */
function movSregReg(c: Cpu, d: Decoded): void {
  if (d.reg === SEG_CS || d.reg > 5) c.raise(VEC_UD, -1);
  loadSegment(c, d.reg, c.regs[d.rm] & 0xffff);
}

function pushAll(c: Cpu, _d: Decoded): void {
  c.o32 = true;
  pusha(c);
}

function popAll(c: Cpu, _d: Decoded): void {
  c.o32 = true;
  popa(c);
}

/** CLD (FC). */
function cld(c: Cpu, _d: Decoded): void {
  c.flags.bits &= ~FLAG_DF;
}

/**
 * The executor for a record, setting `d.arg` for it. Only 32-bit operand and address size without
 * LOCK or REP get a specialised one; the rest, and every form not listed, replay generically.
 */
export function selectRunner(d: Decoded): Runner {
  if (!d.o32 || !d.a32 || d.lock || d.rep !== 0) return replayGeneric;
  const op = d.op;
  const reg = d.rm >= 0;
  if (op < 0x40 && (op & 7) <= 5 && (op & 1) === 1) {
    d.arg = op >> 3;
    const cmp = d.arg === ALU_CMP;
    switch (op & 7) {
      case 1:
        return reg ? aluRegReg : cmp ? cmpMemReg : aluMemReg;
      case 3:
        return reg ? aluRegRegReverse : aluRegMem;
      default:
        return aluAccImm;
    }
  }
  if (op === 0x81 || op === 0x83) {
    d.arg = d.reg;
    if (reg) return aluRegImm;
    return d.reg === ALU_CMP ? cmpMemImm : aluMemImm;
  }
  if (op >= 0x40 && op <= 0x5f) {
    d.arg = op & 7;
    if (op < 0x48) return incReg;
    if (op < 0x50) return decReg;
    if (op < 0x58) return pushReg;
    return popReg;
  }
  if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) {
    d.arg = op & 0xf;
    return jcc;
  }
  if (op >= 0xb8 && op <= 0xbf) {
    d.arg = op & 7;
    return movRegImm;
  }
  switch (op) {
    case 0x85:
      return reg ? testRegReg : testMemReg;
    case 0x89:
      return reg ? movRegReg : storeReg;
    case 0x8b:
      return reg ? movRegRegReverse : loadReg;
    case 0x8d:
      return reg ? replayGeneric : lea;
    case 0xc7:
      if (d.reg !== 0) return replayGeneric;
      if (!reg) return storeImm;
      d.arg = d.rm;
      return movRegImm;
    case 0x68:
    case 0x6a:
      return pushImm;
    case 0x90:
      return nop;
    case 0xcd:
      return intImm;
    case 0xcf:
      return iretd;
    case 0x06:
    case 0x0e:
    case 0x16:
    case 0x1e:
      d.arg = op >> 3;
      return pushSreg;
    case 0x07:
    case 0x17:
    case 0x1f:
      d.arg = op >> 3;
      return popSreg;
    case 0x1a0:
    case 0x1a8:
      d.arg = op === 0x1a0 ? 4 : 5;
      return pushSreg;
    case 0x1a1:
    case 0x1a9:
      d.arg = op === 0x1a1 ? 4 : 5;
      return popSreg;
    case 0x8e:
      return reg ? movSregReg : replayGeneric;
    case 0x60:
      return pushAll;
    case 0x61:
      return popAll;
    case 0xfc:
      return cld;
    case 0xa1:
      return loadAccMoffs;
    case 0xa3:
      return storeAccMoffs;
    case 0xff:
      return d.reg === 2 ? callIndirect : d.reg === 4 ? jmpIndirect : replayGeneric;
    case 0xc3:
      return ret;
    case 0xe8:
      return callRel;
    case 0xe9:
    case 0xeb:
      return jmpRel;
    case 0x1b6:
      return reg ? replayGeneric : movzxByteMem;
    case 0x1b7:
      return reg ? replayGeneric : movzxWordMem;
    default:
      return replayGeneric;
  }
}

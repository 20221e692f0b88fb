/**
 * String instructions: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS with REP/REPE/REPNE, both directions,
 * 16- and 32-bit addressing. A repeated instruction runs at most {@link STRING_CHUNK} iterations per
 * execution and then restarts itself (EIP stays on it), so a huge count cannot stall the run loop and
 * the control block is still polled; registers are updated every iteration, so a fault mid-way
 * restarts exactly where the hardware would.
 */
import { alu } from './alu.js';
import { type Cpu, REG_EAX, REG_ECX, REG_EDI, REG_EDX, REG_ESI, SEG_DS, SEG_ES } from './cpu.js';
import { FLAG_DF } from './flags.js';
import { portIn, portOut } from './io.js';

/** Iterations of a REP instruction per execution. */
export const STRING_CHUNK = 4096;

const MOVS = 0;
const CMPS = 1;
const STOS = 2;
const LODS = 3;
const SCAS = 4;
const INS = 5;
const OUTS = 6;

/** Which string operation an opcode is. */
function kindOf(op: number): number {
  switch (op & 0xfe) {
    case 0xa4:
      return MOVS;
    case 0xa6:
      return CMPS;
    case 0xaa:
      return STOS;
    case 0xac:
      return LODS;
    case 0xae:
      return SCAS;
    case 0x6c:
      return INS;
    default:
      return OUTS;
  }
}

function readAt(c: Cpu, seg: number, off: number, size: number): number {
  return size === 1 ? c.readSeg8(seg, off) : size === 2 ? c.readSeg16(seg, off) : c.readSeg32(seg, off);
}

function writeAt(c: Cpu, seg: number, off: number, size: number, v: number): void {
  if (size === 1) c.writeSeg8(seg, off, v);
  else if (size === 2) c.writeSeg16(seg, off, v);
  else c.writeSeg32(seg, off, v);
}

/** Executes string opcode `c.op` (A4–A7, AA–AF, 6C–6F). */
export function stringOp(c: Cpu): void {
  const op = c.op;
  const size = op & 1 ? (c.o32 ? 4 : 2) : 1;
  const kind = kindOf(op);
  const regs = c.regs;
  const a32 = c.a32;
  const amask = a32 ? -1 : 0xffff;
  const delta = c.flags.bits & FLAG_DF ? -size : size;
  const srcSeg = c.segOverride >= 0 ? c.segOverride : SEG_DS;
  const repeat = c.rep !== 0;
  const compares = kind === CMPS || kind === SCAS;
  let count = repeat ? (a32 ? regs[REG_ECX] >>> 0 : regs[REG_ECX] & 0xffff) : 1;
  if (count === 0) return;
  let budget = STRING_CHUNK;
  const mask = size === 1 ? 0xff : size === 2 ? 0xffff : -1;
  for (;;) {
    const si = regs[REG_ESI] & amask;
    const di = regs[REG_EDI] & amask;
    switch (kind) {
      case MOVS:
        writeAt(c, SEG_ES, di, size, readAt(c, srcSeg, si, size));
        break;
      case CMPS:
        alu(c.flags, 7, readAt(c, srcSeg, si, size), readAt(c, SEG_ES, di, size), size);
        break;
      case STOS:
        writeAt(c, SEG_ES, di, size, regs[REG_EAX] & mask);
        break;
      case LODS: {
        const v = readAt(c, srcSeg, si, size);
        if (size === 1) c.setReg8(REG_EAX, v);
        else if (size === 2) c.setReg16(REG_EAX, v);
        else regs[REG_EAX] = v;
        break;
      }
      case SCAS:
        alu(c.flags, 7, regs[REG_EAX] & mask, readAt(c, SEG_ES, di, size), size);
        break;
      case INS: {
        // Check the destination before reading the port, so a fault does not lose input.
        c.segLinear(SEG_ES, di, size, true);
        const v = portIn(c, regs[REG_EDX] & 0xffff, size as 1 | 2 | 4);
        writeAt(c, SEG_ES, di, size, v);
        break;
      }
      default:
        portOut(c, regs[REG_EDX] & 0xffff, size as 1 | 2 | 4, readAt(c, srcSeg, si, size));
        break;
    }
    if (kind !== STOS && kind !== SCAS && kind !== INS) advance(c, REG_ESI, delta, a32);
    if (kind !== LODS && kind !== OUTS) advance(c, REG_EDI, delta, a32);
    if (!repeat) return;
    count--;
    if (a32) regs[REG_ECX] = count;
    else c.setReg16(REG_ECX, count);
    if (count === 0) return;
    if (compares) {
      const zf = c.flags.zf() !== 0;
      if (c.rep === 0xf3 ? !zf : zf) return;
    }
    if (--budget === 0) {
      c.eip = c.instrStart; // continue on the next execution
      return;
    }
  }
}

function advance(c: Cpu, r: number, delta: number, a32: boolean): void {
  if (a32) c.regs[r] = (c.regs[r] + delta) | 0;
  else c.setReg16(r, c.regs[r] + delta);
}

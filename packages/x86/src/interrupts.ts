/**
 * Exception and interrupt delivery through the IDT, exits, and IRET.
 *
 * The run loop (`cpu.ts`) hands every fault to {@link deliverFault}; INT n / INT3 / INTO come through
 * {@link softwareInterrupt}. A vector the embedder marked "exit" ends the run *before* anything is
 * pushed — for INT n after the gate-DPL check — with the faulting instruction's EIP (the next one for
 * software interrupts). Other vectors go through interrupt or trap gates: a privilege change switches
 * to the ring's stack from the TSS (or the host-side tables) and pushes SS:ESP first. A fault during
 * delivery is itself delivered (or exits), combining into #DF and then a triple fault by the
 * double-fault rules. Task gates and hardware task switches are not implemented (#GP).
 */
import { Cpu, type CpuExit, REG_ESP, SEG_CS, SEG_SS } from './cpu.js';
import { frameWritten } from './decode-cache.js';
import { FAULT, isContributory, NO_ERROR_CODE, VEC_DF, VEC_NP, VEC_PF, VEC_TS } from './fault.js';
import {
  FLAG_AC,
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
import { checkStackSegment, fetchDescriptor, nullInaccessibleSegments } from './segments.js';
import { ACCESS_READ, ACCESS_WRITE } from './translation.js';
import { UNBACKED_FRAME } from './unbacked.js';

function vectorExit(c: Cpu, vector: number, errorCode: number, eip: number): CpuExit {
  return {
    kind: 'vector',
    vector,
    errorCode: errorCode === NO_ERROR_CODE ? undefined : errorCode >>> 0,
    cr2: c.cr2 >>> 0,
    eip: eip >>> 0,
  };
}

/**
 * Delivers a fault raised by the instruction at `c.instrStart` (EIP already reset to it). Returns an
 * exit, or undefined when the handler is entered.
 */
export function deliverFault(c: Cpu, vector: number, errorCode: number): CpuExit | undefined {
  for (;;) {
    if (c.isExitVector(vector)) return vectorExit(c, vector, errorCode, c.instrStart);
    try {
      throughGate(c, vector, errorCode, c.instrStart, 1, false);
      return undefined;
    } catch (e) {
      if (e !== FAULT) throw e;
      c.eip = c.instrStart;
      const next = c.pendingVector;
      if (vector === VEC_DF) return Cpu.EXIT_TRIPLE;
      const double =
        (isContributory(vector) && isContributory(next)) ||
        (vector === VEC_PF && (isContributory(next) || next === VEC_PF));
      if (double) {
        vector = VEC_DF;
        errorCode = 0;
      } else {
        vector = next;
        errorCode = c.pendingError;
      }
    }
  }
}

/** An external interrupt: no error code, no DPL check; returns to the current EIP. */
export function deliverExternal(c: Cpu, vector: number): CpuExit | undefined {
  if (c.isExitVector(vector)) return vectorExit(c, vector, NO_ERROR_CODE, c.eip);
  try {
    throughGate(c, vector, NO_ERROR_CODE, c.eip, 1, false);
    return undefined;
  } catch (e) {
    if (e !== FAULT) throw e;
    c.eip = c.instrStart;
    return deliverFault(c, c.pendingVector, c.pendingError);
  }
}

/**
 * INT n, INT3, INTO (and ICEBP): the gate's DPL must be at least CPL (#GP(n*8+2) otherwise); then an
 * exit vector ends the run with EIP after the instruction. Called with EIP already past it.
 */
export function softwareInterrupt(c: Cpu, vector: number): void {
  if (!c.descriptors.readGate(vector, c.scratch)) c.gp(vector * 8 + 2);
  const dpl = (c.scratch[1] >> 13) & 3;
  if (dpl < c.cpl) c.gp(vector * 8 + 2);
  if (c.isExitVector(vector)) {
    c.exit(vectorExit(c, vector, NO_ERROR_CODE, c.eip));
    return;
  }
  throughGate(c, vector, NO_ERROR_CODE, c.eip, 0, true);
}

/**
 * INT1 (ICEBP, F1): a #DB trap with no gate-DPL check, delivered like an exception (EIP after it).
 */
export function debugTrap(c: Cpu): void {
  if (c.isExitVector(1)) {
    c.exit(vectorExit(c, 1, NO_ERROR_CODE, c.eip));
    return;
  }
  throughGate(c, 1, NO_ERROR_CODE, c.eip, 1, false);
}

/**
 * Enters the handler of `vector` through its IDT gate, pushing the return frame (`returnEip`) and the
 * error code. `ext` is the EXT bit for error codes that name the IDT or a selector.
 */
function throughGate(
  c: Cpu,
  vector: number,
  errorCode: number,
  returnEip: number,
  ext: number,
  software: boolean,
): void {
  const idtCode = vector * 8 + 2 + ext;
  if (!c.descriptors.readGate(vector, c.scratch)) c.gp(idtCode);
  const lo = c.scratch[0];
  const hi = c.scratch[1];
  const type = (hi >> 8) & 0x1f;
  if (type !== 0x0e && type !== 0x0f && type !== 0x06 && type !== 0x07) c.gp(idtCode);
  if (software && ((hi >> 13) & 3) < c.cpl) c.gp(vector * 8 + 2);
  if ((hi & 0x8000) === 0) c.raise(VEC_NP, idtCode);
  const gate32 = (type & 8) !== 0;
  const trapGate = (type & 1) !== 0;
  const selector = lo >>> 16;
  const offset = gate32 ? (lo & 0xffff) | (hi & 0xffff_0000) : lo & 0xffff;

  if ((selector & 0xfffc) === 0) c.gp(ext);
  const d = fetchDescriptor(c, selector, ext);
  if (!d.isCode || d.dpl > c.cpl) c.gp((selector & 0xfffc) | ext);
  if (!d.present) c.raise(VEC_NP, (selector & 0xfffc) | ext);
  const csBase = d.base;
  const csLimit = d.limit;
  const csAttr = d.attributes;
  const conforming = (d.type & 4) !== 0;
  const newCpl = conforming ? c.cpl : d.dpl;
  if (offset >>> 0 > csLimit) c.gp(ext);

  const size = gate32 ? 4 : 2;
  const eflags = c.flags.get();
  const oldCs = c.segSel[SEG_CS];
  const frame = errorCode === NO_ERROR_CODE ? 3 : 4;
  // Without an error code the frame starts at the EIP slot.
  const first = errorCode === NO_ERROR_CODE ? 1 : 0;

  if (newCpl < c.cpl) {
    // Privilege change: the inner ring's stack comes from the TSS.
    if (!c.descriptors.readStack(newCpl, c.scratch)) c.raise(VEC_TS, (c.tr.selector & 0xfffc) | ext);
    const newEsp = c.scratch[0];
    const newSs = c.scratch[1] & 0xffff;
    const ss = checkStackSegment(c, newSs, newCpl, VEC_TS);
    const ssBase = ss.base;
    const ssLimit = ss.limit;
    const ssAttr = ss.attributes;
    const ss32 = (ssAttr & 0x4000) !== 0;
    const words = frame + 2;
    const top = ss32 ? newEsp : newEsp & 0xffff;
    const bottom = ss32 ? (top - words * size) | 0 : (top - words * size) & 0xffff;
    if (!inStack(bottom >>> 0, words * size, ssLimit, ssAttr)) c.raise(VEC_TS, newSs & 0xfffc);
    frameValues(errorCode, returnEip, oldCs, eflags, c.regs[REG_ESP], c.segSel[SEG_SS]);
    writeFrame(c, (ssBase + bottom) | 0, words, size, first, false);
    c.setSegmentFields(SEG_SS, newSs, ssBase, ssLimit, ssAttr);
    if (ss32) c.regs[REG_ESP] = bottom;
    else c.setReg16(REG_ESP, bottom);
  } else {
    const words = frame;
    const bottom = c.stackOffset(-words * size);
    frameValues(errorCode, returnEip, oldCs, eflags, 0, 0);
    const lin0 = c.segLinear(SEG_SS, bottom, words * size, true);
    writeFrame(c, lin0, words, size, first, newCpl === 3);
    c.adjustStack(-words * size);
  }
  c.setSegmentFields(SEG_CS, (selector & 0xfffc) | newCpl, csBase, csLimit, csAttr);
  c.eip = offset;
  let flags = eflags & ~(FLAG_TF | FLAG_NT | FLAG_RF | FLAG_VM);
  if (!trapGate) flags &= ~FLAG_IF;
  c.flags.load(flags);
}

/** The frame from the lowest address up: error code, EIP, CS, EFLAGS, ESP, SS (scratch, no allocation). */
const frameScratch = new Int32Array(6);
function frameValues(
  errorCode: number,
  eip: number,
  cs: number,
  eflags: number,
  esp: number,
  ss: number,
): Int32Array {
  const f = frameScratch;
  f[0] = errorCode;
  f[1] = eip;
  f[2] = cs;
  f[3] = eflags;
  f[4] = esp;
  f[5] = ss;
  return f;
}

/**
 * Writes `count` frame words of `size` bytes (from `frameScratch[first]` up) at linear `lin`, lowest
 * first, with the privilege `user`. A frame within one page — nearly always — costs one translation
 * and one code-generation check; one that straddles a page is written word by word, so the first word
 * that cannot be written faults first, as before.
 */
function writeFrame(c: Cpu, lin: number, count: number, size: number, first: number, user: boolean): void {
  const bytes = count * size;
  const values = frameScratch;
  if (((lin ^ (lin + bytes - 1)) & ~0xfff) === 0) {
    const frame = c.frameFor(lin, ACCESS_WRITE, user);
    if (frame === UNBACKED_FRAME) return;
    const b = frame.bytes;
    let o = lin & 0xfff;
    for (let i = 0; i < count; i++) {
      const v = values[i + first];
      b[o] = v;
      b[o + 1] = v >> 8;
      if (size === 4) {
        b[o + 2] = v >> 16;
        b[o + 3] = v >> 24;
      }
      o += size;
    }
    frameWritten(frame);
    return;
  }
  for (let i = 0; i < count; i++) c.writeSlow((lin + i * size) | 0, size, values[i + first], user);
}

function inStack(offset: number, bytes: number, limit: number, attr: number): boolean {
  const last = offset + bytes - 1;
  if (attr & 0x4) {
    const upper = attr & 0x4000 ? 0xffff_ffff : 0xffff;
    return offset > limit && last <= upper;
  }
  return last <= limit;
}

/** IRET/IRETD: same-ring return, or to an outer ring with SS:ESP popped; IF/IOPL protected by CPL. */
export function iret(c: Cpu): void {
  if (c.flags.bits & FLAG_NT) c.gp(0); // a task return: hardware task switching is not implemented
  const size = c.o32 ? 4 : 2;
  // One translation for the whole frame when it can be had (32-bit, flat stack, one page); else the
  // words one by one. Either way EIP, CS and EFLAGS are read before anything is checked.
  const whole = size === 4 && readIretFrame(c);
  const frame = iretFrame;
  const newEip = whole ? frame[0] : c.peek(0, size);
  const selector = (whole ? frame[1] : c.peek(size, size)) & 0xffff;
  let newFlags = whole ? frame[2] : c.peek(2 * size, size);
  // Every status flag comes from the frame, so the lazy ones need not be worked out: `bits` holds the
  // rest of EFLAGS as it is.
  const kept = c.flags.bits | 0x2;
  if (size === 2) newFlags = (kept & 0xffff_0000) | (newFlags & 0xffff);
  const rpl = selector & 3;
  if ((selector & 0xfffc) === 0) c.gp(0);
  if (rpl < c.cpl) c.gp(selector & 0xfffc);
  const d = fetchDescriptor(c, selector);
  if (!d.isCode) c.gp(selector & 0xfffc);
  if (d.type & 4 ? d.dpl > rpl : d.dpl !== rpl) c.gp(selector & 0xfffc);
  if (!d.present) c.raise(VEC_NP, selector & 0xfffc);
  const csBase = d.base;
  const csLimit = d.limit;
  const csAttr = d.attributes;
  if (newEip >>> 0 > csLimit) c.gp(0);

  const oldCpl = c.cpl;
  const old = kept;
  let changeable = STATUS_FLAGS | FLAG_TF | FLAG_DF | FLAG_NT | FLAG_AC | FLAG_ID | FLAG_RF;
  if (oldCpl === 0) changeable |= FLAG_IOPL | FLAG_IF;
  else if (oldCpl <= c.iopl) changeable |= FLAG_IF;
  if (size === 2) changeable &= 0xffff;
  const flags = (old & ~changeable) | (newFlags & changeable);

  if (rpl === oldCpl) {
    c.setSegmentFields(SEG_CS, selector, csBase, csLimit, csAttr);
    c.adjustStack(3 * size);
  } else {
    const newEsp = whole ? frame[3] : c.peek(3 * size, size);
    const newSs = (whole ? frame[4] : c.peek(4 * size, size)) & 0xffff;
    const ss = checkStackSegment(c, newSs, rpl);
    c.setSegmentFields(SEG_SS, newSs, ss.base, ss.limit, ss.attributes);
    c.setSegmentFields(SEG_CS, selector, csBase, csLimit, csAttr);
    if (c.stack32) c.regs[REG_ESP] = newEsp;
    else c.setReg16(REG_ESP, newEsp);
    nullInaccessibleSegments(c);
  }
  c.eip = size === 4 ? newEip : newEip & 0xffff;
  c.flags.load(flags & ~FLAG_VM);
}

/** The five dwords of a 32-bit IRET frame: EIP, CS, EFLAGS and, for an outer ring, ESP and SS. */
const iretFrame = new Int32Array(5);

/**
 * Reads the 32-bit IRET frame into {@link iretFrame} with one translation when SS is a flat
 * readable 32-bit segment (no limit to check) and all five dwords lie in one page — so reading the
 * outer-ring words before knowing whether they are needed can raise nothing. Same rights and fault as
 * reading the first dword. False when the words must be read one by one.
 */
function readIretFrame(c: Cpu): boolean {
  if (!c.stack32 || (c.segFast[SEG_SS] & 1) === 0) return false;
  const lin = (c.segBase[SEG_SS] + c.regs[REG_ESP]) | 0;
  const o = lin & 0xfff;
  if (o > 0x1000 - 20) return false;
  const b = c.frameFor(lin, ACCESS_READ, c.cpl === 3).bytes;
  for (let i = 0; i < 5; i++) {
    const k = o + i * 4;
    iretFrame[i] = b[k] | (b[k + 1] << 8) | (b[k + 2] << 16) | (b[k + 3] << 24);
  }
  return true;
}

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
    const values = frameValues(errorCode, returnEip, oldCs, eflags, c.regs[REG_ESP], c.segSel[SEG_SS]);
    for (let i = 0; i < words; i++) {
      const lin = (ssBase + bottom + i * size) | 0;
      const v = values[i + first];
      if (size === 4) c.writeSlow(lin, 4, v, false);
      else c.writeSlow(lin, 2, v, false);
    }
    c.setSegment(SEG_SS, { selector: newSs, base: ssBase, limit: ssLimit, attributes: ssAttr });
    if (ss32) c.regs[REG_ESP] = bottom;
    else c.setReg16(REG_ESP, bottom);
  } else {
    const words = frame;
    const bottom = c.stackOffset(-words * size);
    const values = frameValues(errorCode, returnEip, oldCs, eflags, 0, 0);
    const lin0 = c.segLinear(SEG_SS, bottom, words * size, true);
    for (let i = 0; i < words; i++) {
      const lin = (lin0 + i * size) | 0;
      const v = values[i + first];
      if (size === 4) c.writeSlow(lin, 4, v, newCpl === 3);
      else c.writeSlow(lin, 2, v, newCpl === 3);
    }
    c.adjustStack(-words * size);
  }
  c.setSegment(SEG_CS, {
    selector: (selector & 0xfffc) | newCpl,
    base: csBase,
    limit: csLimit,
    attributes: csAttr,
  });
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
  const newEip = c.peek(0, size);
  const selector = c.peek(size, size) & 0xffff;
  let newFlags = c.peek(2 * size, size);
  if (size === 2) newFlags = (c.flags.get() & 0xffff_0000) | (newFlags & 0xffff);
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
  const old = c.flags.get();
  let changeable = STATUS_FLAGS | FLAG_TF | FLAG_DF | FLAG_NT | FLAG_AC | FLAG_ID | FLAG_RF;
  if (oldCpl === 0) changeable |= FLAG_IOPL | FLAG_IF;
  else if (oldCpl <= c.iopl) changeable |= FLAG_IF;
  if (size === 2) changeable &= 0xffff;
  const flags = (old & ~changeable) | (newFlags & changeable);

  if (rpl === oldCpl) {
    c.setSegment(SEG_CS, { selector, base: csBase, limit: csLimit, attributes: csAttr });
    c.adjustStack(3 * size);
  } else {
    const newEsp = c.peek(3 * size, size);
    const newSs = c.peek(4 * size, size) & 0xffff;
    const ss = checkStackSegment(c, newSs, rpl);
    c.setSegment(SEG_SS, { selector: newSs, base: ss.base, limit: ss.limit, attributes: ss.attributes });
    c.setSegment(SEG_CS, { selector, base: csBase, limit: csLimit, attributes: csAttr });
    if (c.stack32) c.regs[REG_ESP] = newEsp;
    else c.setReg16(REG_ESP, newEsp);
    nullInaccessibleSegments(c);
  }
  c.eip = size === 4 ? newEip : newEip & 0xffff;
  c.flags.load(flags & ~FLAG_VM);
}

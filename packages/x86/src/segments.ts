/**
 * Segment loads with the protected-mode descriptor checks, and the far transfers that load CS
 * (JMP/CALL/RET far). Called by `execute.ts` for MOV/POP to a segment register, LDS/LES/LSS/LFS/LGS
 * and far control transfers; `interrupts.ts` uses the same checks for gates and IRET.
 *
 * Only code and data descriptors are valid far-transfer targets: call gates, task gates and TSS
 * selectors raise #GP(selector) (hardware task switching is not implemented; Linux never uses it).
 * The descriptor's accessed bit is not written back.
 */
import { type Cpu, REG_ESP, SEG_CS, SEG_SS } from './cpu.js';
import type { Descriptor } from './descriptors.js';
import { VEC_GP, VEC_NP, VEC_SS } from './fault.js';

/** Reads the descriptor for `selector` into `c.desc`; #GP(selector) when beyond the table. */
export function fetchDescriptor(c: Cpu, selector: number, ext = 0): Descriptor {
  if (!c.descriptors.readDescriptor(selector & 0xffff, c.scratch)) c.gp((selector & 0xfffc) | ext);
  return c.desc.decode(c.scratch[0], c.scratch[1]);
}

/** MOV/POP/LxS to DS, ES, FS or GS: a null selector loads an unusable segment. */
export function loadDataSegment(c: Cpu, seg: number, selector: number): void {
  selector &= 0xffff;
  if ((selector & 0xfffc) === 0) {
    c.loadSegmentCache(seg, selector, undefined);
    return;
  }
  const d = fetchDescriptor(c, selector);
  const rpl = selector & 3;
  const code = d.isCode;
  // Data, or readable code; non-conforming needs DPL >= max(CPL, RPL).
  if (!d.isCodeOrData || (code && (d.type & 2) === 0)) c.gp(selector & 0xfffc);
  const conforming = code && (d.type & 4) !== 0;
  if (!conforming && (d.dpl < c.cpl || d.dpl < rpl)) c.gp(selector & 0xfffc);
  if (!d.present) c.raise(VEC_NP, selector & 0xfffc);
  c.loadSegmentCache(seg, selector, d);
}

/** Checks a selector for SS at privilege `cpl`, leaving the descriptor in `c.desc`. */
export function checkStackSegment(c: Cpu, selector: number, cpl: number, faultVector = VEC_GP): Descriptor {
  selector &= 0xffff;
  if ((selector & 0xfffc) === 0) c.raise(faultVector, 0);
  if (!c.descriptors.readDescriptor(selector, c.scratch)) c.raise(faultVector, selector & 0xfffc);
  const d = c.desc.decode(c.scratch[0], c.scratch[1]);
  if ((selector & 3) !== cpl || !d.isCodeOrData || d.isCode || (d.type & 2) === 0 || d.dpl !== cpl) {
    c.raise(faultVector, selector & 0xfffc);
  }
  if (!d.present) c.raise(faultVector === VEC_GP ? VEC_SS : faultVector, selector & 0xfffc);
  return d;
}

/** MOV/POP/LSS to SS. */
export function loadStackSegment(c: Cpu, selector: number): void {
  const d = checkStackSegment(c, selector, c.cpl);
  c.loadSegmentCache(SEG_SS, selector, d);
}

/** Loads segment `seg` from a guest instruction (SS, data segments; CS is #UD at the decoder). */
export function loadSegment(c: Cpu, seg: number, selector: number): void {
  if (seg === SEG_SS) loadStackSegment(c, selector);
  else loadDataSegment(c, seg, selector);
}

/**
 * Checks a code segment for a far JMP/CALL at the current CPL (no gates), leaving it in `c.desc`.
 */
function checkFarTarget(c: Cpu, selector: number): Descriptor {
  if ((selector & 0xfffc) === 0) c.gp(0);
  const d = fetchDescriptor(c, selector);
  if (!d.isCode) c.gp(selector & 0xfffc);
  if (d.type & 4) {
    if (d.dpl > c.cpl) c.gp(selector & 0xfffc);
  } else if ((selector & 3) > c.cpl || d.dpl !== c.cpl) {
    c.gp(selector & 0xfffc);
  }
  if (!d.present) c.raise(VEC_NP, selector & 0xfffc);
  return d;
}

/** Loads CS:EIP for a same-privilege far transfer (RPL forced to CPL). */
function commitCs(c: Cpu, selector: number, d: Descriptor, offset: number, cpl: number): void {
  if (offset >>> 0 > d.limit) c.gp(0);
  c.loadSegmentCache(SEG_CS, (selector & 0xfffc) | cpl, d);
  c.setCpl(cpl);
  c.eip = offset | 0;
}

/** JMP ptr16:16/32 and JMP m16:16/32. */
export function farJump(c: Cpu, selector: number, offset: number): void {
  const d = checkFarTarget(c, selector);
  commitCs(c, selector, d, offset, c.cpl);
}

/** CALL ptr16:16/32 and CALL m16:16/32: pushes CS and the return EIP with the operand size. */
export function farCall(c: Cpu, selector: number, offset: number): void {
  const d = checkFarTarget(c, selector);
  if (offset >>> 0 > d.limit) c.gp(0);
  const size = c.o32 ? 4 : 2;
  // Both pushes are checked before anything is written or changed.
  const ssOff1 = c.stackOffset(-size);
  const ssOff2 = c.stackOffset(-2 * size);
  const cs = c.segSel[SEG_CS];
  const lin1 = c.segLinear(SEG_SS, ssOff1, size, true);
  const lin2 = c.segLinear(SEG_SS, ssOff2, size, true);
  if (size === 4) {
    c.wr32(lin1, cs);
    c.wr32(lin2, c.eip);
  } else {
    c.wr16(lin1, cs);
    c.wr16(lin2, c.eip);
  }
  c.loadSegmentCache(SEG_CS, (selector & 0xfffc) | c.cpl, c.desc);
  c.adjustStack(-2 * size);
  c.eip = offset | 0;
}

/** RET far (imm16 bytes released): same privilege, or to an outer ring with the stack switch back. */
export function farReturn(c: Cpu, release: number): void {
  const size = c.o32 ? 4 : 2;
  const offset = c.peek(0, size);
  const selector = c.peek(size, size) & 0xffff;
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
  if (rpl === c.cpl) {
    if (offset >>> 0 > csLimit) c.gp(0);
    c.loadSegmentCache(SEG_CS, selector, d);
    c.adjustStack(2 * size + release);
    c.eip = c.o32 ? offset : offset & 0xffff;
    return;
  }
  // Outer ring: the caller's ESP and SS follow the released parameters.
  const newEsp = c.peek(2 * size + release, size);
  const newSs = c.peek(3 * size + release, size) & 0xffff;
  const ssDesc = checkStackSegment(c, newSs, rpl);
  if (offset >>> 0 > csLimit) c.gp(0);
  c.loadSegmentCache(SEG_SS, newSs, ssDesc);
  c.setSegmentFields(SEG_CS, selector, csBase, csLimit, csAttr);
  if (c.stack32) c.regs[REG_ESP] = (newEsp + release) | 0;
  else c.setReg16(REG_ESP, newEsp + release);
  c.eip = c.o32 ? offset : offset & 0xffff;
  nullInaccessibleSegments(c);
}

/** After a return to an outer ring: data segments the new CPL may not use become null. */
export function nullInaccessibleSegments(c: Cpu): void {
  // ES, DS, FS, GS (0, 3, 4, 5): counted, not iterated over an array, so a return allocates nothing.
  for (let seg = 0; seg < 6; seg++) {
    if (seg === SEG_CS || seg === SEG_SS) continue;
    const attr = c.segAttr[seg];
    if ((attr & 0x10) === 0) continue;
    const conformingCode = (attr & 0xc) === 0xc;
    if (!conformingCode && ((attr >> 5) & 3) < c.cpl) c.loadSegmentCache(seg, 0, undefined);
  }
}

/**
 * LAR/LSL/VERR/VERW helper: the descriptor for `selector` if it is visible at the current CPL and
 * RPL (ZF = 1 cases), else undefined. `kind`: 0 LAR, 1 LSL, 2 VERR, 3 VERW.
 */
export function probeDescriptor(c: Cpu, selector: number, kind: number): Descriptor | undefined {
  selector &= 0xffff;
  if ((selector & 0xfffc) === 0) return undefined;
  if (!c.descriptors.readDescriptor(selector, c.scratch)) return undefined;
  const d = c.desc.decode(c.scratch[0], c.scratch[1]);
  const conformingCode = d.isCode && (d.type & 4) !== 0;
  if (!d.isCodeOrData) {
    // System descriptors: LAR accepts TSS, LDT, gates; LSL only those with a limit.
    const t = d.type;
    const okLar = t === 1 || t === 2 || t === 3 || t === 4 || t === 5 || t === 9 || t === 0xb || t === 0xc;
    const okLsl = t === 1 || t === 2 || t === 3 || t === 9 || t === 0xb;
    if (kind === 0 ? !okLar : kind === 1 ? !okLsl : true) return undefined;
  } else if (kind === 2) {
    if (d.isCode && (d.type & 2) === 0) return undefined;
  } else if (kind === 3) {
    if (d.isCode || (d.type & 2) === 0) return undefined;
  }
  if (!conformingCode && (d.dpl < c.cpl || d.dpl < (selector & 3))) return undefined;
  return d;
}

/**
 * ESC opcodes (D8–DF) and WAIT: the core's side of the x87 seam (`x87-seam.ts`). #NM when CR0.EM or
 * CR0.TS is set (WAIT: TS and MP), #MF before a waiting instruction while the unit has an unmasked
 * exception pending and CR0.NE is set; then the unit executes with memory accessors that apply the
 * core's paging checks and fault through the core. A CPU created with `fpu: null` has no x87 unit:
 * its ESC opcodes that pass the #NM check raise #UD.
 */
import { type Cpu, CR0_EM, CR0_NE, CR0_TS, REG_EAX, SEG_CS } from './cpu.js';
import { VEC_MF, VEC_NM, VEC_UD } from './fault.js';
import { FLAG_CF, FLAG_PF, FLAG_ZF, STATUS_FLAGS } from './flags.js';
import type { X87Host } from './x87-seam.js';

/** Builds the one host object a CPU hands to its x87 unit. */
export function createX87Host(c: Cpu): X87Host {
  return {
    read8: (lin) => c.rd8(lin | 0),
    read16: (lin) => c.rd16(lin | 0),
    read32: (lin) => c.rd32(lin | 0),
    write8: (lin, v) => c.wr8(lin | 0, v),
    write16: (lin, v) => c.wr16(lin | 0, v),
    write32: (lin, v) => c.wr32(lin | 0, v),
    readEflags: () => c.flags.get(),
    setCompareFlags: (zf, pf, cf) =>
      c.flags.setSome(STATUS_FLAGS, (zf ? FLAG_ZF : 0) | (pf ? FLAG_PF : 0) | (cf ? FLAG_CF : 0)),
    writeAx: (v) => c.setReg16(REG_EAX, v),
  };
}

/** Control instructions that leave the last-instruction pointers alone. */
function isControl(op: number, modrm: number): boolean {
  const mem = modrm < 0xc0;
  const reg = (modrm >> 3) & 7;
  if (op === 0xd9 && mem && reg >= 4) return true; // FLDENV FLDCW FNSTENV FNSTCW
  if (op === 0xdd && mem && (reg === 4 || reg === 6 || reg === 7)) return true; // FRSTOR FNSAVE FNSTSW
  if (op === 0xdb && (modrm === 0xe2 || modrm === 0xe3)) return true; // FNCLEX FNINIT
  return op === 0xdf && modrm === 0xe0; // FNSTSW AX
}

/** Executes the decoded ESC instruction. */
export function executeEsc(c: Cpu): void {
  if (c.cr0 & (CR0_EM | CR0_TS)) c.raise(VEC_NM, -1);
  const unit = c.fpu;
  if (unit === undefined) c.raise(VEC_UD, -1);
  const op = c.op;
  const modrm = c.modrm;
  if (unit.exceptionPending && c.cr0 & CR0_NE && unit.isWaiting(op, modrm)) c.raise(VEC_MF, -1);
  const memory = c.rm < 0;
  const linear = memory ? c.segLinear(c.eaSeg, c.ea, 1, false) : 0;
  if (unit.updatesPointers ? unit.updatesPointers(op, modrm) : !isControl(op, modrm)) {
    unit.lastIp = c.instrStart >>> 0;
    unit.lastCs = c.segSel[SEG_CS] & 0xffff;
    unit.lastOpcode = ((op & 7) << 8) | modrm;
    if (memory) {
      unit.lastDp = c.ea >>> 0;
      unit.lastDs = c.segSel[c.eaSeg] & 0xffff;
    }
  }
  if (unit.execute(op, modrm, linear >>> 0, c.o32, c.x87Host) !== 0) c.raise(VEC_UD, -1);
}

/** WAIT/FWAIT after its #NM check: #MF when an unmasked exception is pending and CR0.NE is set. */
export function checkFpuWait(c: Cpu): void {
  const unit = c.fpu;
  if (unit?.exceptionPending && c.cr0 & CR0_NE) c.raise(VEC_MF, -1);
}

/**
 * System instructions: descriptor-table registers (SGDT/SIDT/SLDT/STR/LGDT/LIDT/LLDT/LTR), SMSW/LMSW,
 * LAR/LSL/VERR/VERW, control and debug registers, CLTS, INVLPG, INVD/WBINVD, MSRs, RDTSC, RDPMC and
 * CPUID. Everything privileged raises #GP(0) above CPL 0, as spec §13 requires for lguest's CPL-1
 * kernel (the Host then emulates what it must). Called from `execute-0f.ts`.
 */
import { type Cpu, CR0_PG, CR0_TS, CR4_TSD, REG_EAX, REG_EBX, REG_ECX, REG_EDX } from './cpu.js';
import { VEC_GP, VEC_NP, VEC_UD } from './fault.js';
import { FLAG_ZF } from './flags.js';
import { memLinear, opSize, readRm, writeReg, writeRm } from './operands.js';
import { fetchDescriptor, probeDescriptor } from './segments.js';

/** CR4 bits software may set on this CPU. */
const CR4_WRITABLE = 0x1dc;

function requireCpl0(c: Cpu): void {
  if (c.cpl !== 0) c.gp(0);
}

/** 0F 00: SLDT, STR, LLDT, LTR, VERR, VERW. */
export function group6(c: Cpu): void {
  switch (c.reg) {
    case 0:
    case 1: {
      const sel = (c.reg === 0 ? c.ldtr.selector : c.tr.selector) & 0xffff;
      if (c.rm >= 0) writeReg(c, c.rm, opSize(c), sel);
      else writeRm(c, 2, sel);
      return;
    }
    case 2: {
      requireCpl0(c);
      const sel = readRm(c, 2);
      if ((sel & 0xfffc) === 0) {
        c.ldtr.selector = sel;
        c.ldtr.base = 0;
        c.ldtr.limit = 0;
        return;
      }
      if (sel & 4) c.gp(sel & 0xfffc);
      const d = fetchDescriptor(c, sel);
      if (d.isCodeOrData || d.type !== 2) c.gp(sel & 0xfffc);
      if (!d.present) c.raise(VEC_NP, sel & 0xfffc);
      c.ldtr.selector = sel;
      c.ldtr.base = d.base;
      c.ldtr.limit = d.limit;
      return;
    }
    case 3: {
      requireCpl0(c);
      const sel = readRm(c, 2);
      if ((sel & 0xfffc) === 0 || sel & 4) c.gp(sel & 0xfffc);
      const d = fetchDescriptor(c, sel);
      if (d.isCodeOrData || (d.type !== 9 && d.type !== 1)) c.gp(sel & 0xfffc);
      if (!d.present) c.raise(VEC_NP, sel & 0xfffc);
      c.tr.selector = sel;
      c.tr.base = d.base;
      c.tr.limit = d.limit;
      return;
    }
    case 4:
    case 5: {
      const ok = probeDescriptor(c, readRm(c, 2), c.reg === 4 ? 2 : 3) !== undefined;
      c.flags.setSome(FLAG_ZF, ok ? FLAG_ZF : 0);
      return;
    }
    default:
      c.raise(VEC_UD, -1);
  }
}

/** 0F 01: SGDT, SIDT, LGDT, LIDT, SMSW, LMSW, INVLPG. */
export function group7(c: Cpu): void {
  const reg = c.reg;
  if (c.rm >= 0 && reg !== 4 && reg !== 6) c.raise(VEC_UD, -1);
  switch (reg) {
    case 0:
    case 1: {
      const t = reg === 0 ? c.gdtr : c.idtr;
      const baseLin = memLinear(c, 2, 4, true);
      c.wr16(memLinear(c, 0, 2, true), t.limit);
      c.wr32(baseLin, c.o32 ? t.base : t.base & 0xff_ffff);
      return;
    }
    case 2:
    case 3: {
      requireCpl0(c);
      const limit = c.rd16(memLinear(c, 0, 2, false));
      let base = c.rd32(memLinear(c, 2, 4, false));
      if (!c.o32) base &= 0xff_ffff;
      const t = reg === 2 ? c.gdtr : c.idtr;
      t.limit = limit;
      t.base = base >>> 0;
      return;
    }
    case 4:
      if (c.rm >= 0) writeReg(c, c.rm, opSize(c), c.cr0);
      else writeRm(c, 2, c.cr0);
      return;
    case 6: {
      requireCpl0(c);
      // LMSW changes PE (set only), MP, EM and TS.
      const v = readRm(c, 2) & 0xf;
      c.cr0 = (c.cr0 & ~0xe) | v;
      return;
    }
    case 7:
      requireCpl0(c);
      c.invalidatePage(c.segLinear(c.eaSeg, c.ea, 1, false));
      return;
    default:
      c.raise(VEC_UD, -1);
  }
}

/** LAR (kind 0) and LSL (kind 1): ZF = 1 and the register loaded when the descriptor is visible. */
export function loadAccessOrLimit(c: Cpu, kind: number): void {
  const d = probeDescriptor(c, readRm(c, 2), kind);
  if (d === undefined) {
    c.flags.setSome(FLAG_ZF, 0);
    return;
  }
  const size = opSize(c);
  const value = kind === 0 ? (d.attributes << 8) & (size === 4 ? 0x00f0_ff00 : 0xff00) : d.limit;
  writeReg(c, c.reg, size, value);
  c.flags.setSome(FLAG_ZF, FLAG_ZF);
}

/** MOV r32, CRn (0F 20) and MOV CRn, r32 (0F 22). */
export function moveControl(c: Cpu, toCr: boolean): void {
  requireCpl0(c);
  const r = c.modrm & 7;
  const n = c.reg;
  if (n === 1 || n > 4) c.raise(VEC_UD, -1);
  if (!toCr) {
    c.regs[r] = n === 0 ? c.cr0 : n === 2 ? c.cr2 : n === 3 ? c.cr3 : c.cr4;
    return;
  }
  const v = c.regs[r];
  switch (n) {
    case 0:
      if ((v & CR0_PG) !== 0 && (v & 1) === 0) c.gp(0);
      c.cr0 = v;
      return;
    case 2:
      c.cr2 = v >>> 0;
      return;
    case 3:
      c.cr3 = v >>> 0;
      return;
    default:
      // Only what this CPU implements may be set: TSD, DE, PSE, MCE, PGE, PCE (no VME, PAE, OSFXSR...).
      if (v & ~CR4_WRITABLE) c.gp(0);
      c.cr4 = v;
  }
}

/** MOV r32, DRn (0F 21) and MOV DRn, r32 (0F 23). DR4/DR5 alias DR6/DR7 (CR4.DE clear). */
export function moveDebug(c: Cpu, toDr: boolean): void {
  requireCpl0(c);
  const r = c.modrm & 7;
  let n = c.reg;
  if (n === 4 || n === 5) n += 2;
  if (toDr) c.dr[n] = c.regs[r];
  else c.regs[r] = c.dr[n];
}

/** CLTS */
export function clts(c: Cpu): void {
  requireCpl0(c);
  c.cr0 = c.cr0 & ~CR0_TS;
}

/** INVD, WBINVD: no caches to act on. */
export function invalidateCaches(c: Cpu): void {
  requireCpl0(c);
}

/** RDMSR, WRMSR, RDPMC: no MSRs or counters are implemented (CPUID does not advertise MSR): #GP(0). */
export function modelSpecific(c: Cpu): void {
  c.raise(VEC_GP, 0);
}

/** RDTSC: #GP(0) above CPL 0 when CR4.TSD is set. */
export function rdtsc(c: Cpu): void {
  if (c.cr4 & CR4_TSD && c.cpl !== 0) c.gp(0);
  const t = c.tsc;
  c.regs[REG_EAX] = (t % 0x1_0000_0000) | 0;
  c.regs[REG_EDX] = Math.floor(t / 0x1_0000_0000) | 0;
}

/** CPUID from the CPU's table. */
export function cpuid(c: Cpu): void {
  const r = c.cpuid(c.regs[REG_EAX] >>> 0, c.regs[REG_ECX] >>> 0);
  c.regs[REG_EAX] = r[0];
  c.regs[REG_EBX] = r[1];
  c.regs[REG_ECX] = r[2];
  c.regs[REG_EDX] = r[3];
}

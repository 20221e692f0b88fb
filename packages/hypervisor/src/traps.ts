/**
 * What the Host does with a guest trap (spec §6.4), after the Switcher came back with its vector:
 * hypercalls are recorded for the run loop, #GP(0) at CPL 1 is emulated (§6.9), #PF goes to demand
 * paging or is reflected with `cr2` (§6.11), #NM is reflected while the guest's TS is set (§6.10), and
 * everything else is reflected through the guest IDT with the §6.3 frame — or kills the guest when
 * there is no gate for it.
 */
import {
  gatePresent,
  IDT_ENTRIES,
  LGUEST_REG_CS,
  LGUEST_REG_EIP,
  LGUEST_REG_ERRCODE,
  LGUEST_REG_TRAPNUM,
  LGUEST_TRAP_ENTRY,
  vectorHasErrorCode,
  X86_TRAP_GP,
  X86_TRAP_NM,
  X86_TRAP_PF,
} from '@lguest/abi';
import { emulateInstruction } from './emulate.js';
import { hex } from './hex.js';
import { pushGuestFrame } from './interrupts.js';
import type { Vcpu } from './vcpu.js';

/** Handles the trap recorded in the vCPU's register frame. */
export function handleTrap(vcpu: Vcpu): void {
  const regs = vcpu.pages.regs;
  const vector = regs[LGUEST_REG_TRAPNUM];
  const errorCode = regs[LGUEST_REG_ERRCODE];
  const guest = vcpu.guest;
  guest.trace?.({ kind: 'trap', vector, errorCode, eip: regs[LGUEST_REG_EIP], cr2: vcpu.pages.cr2 });
  switch (vector) {
    case LGUEST_TRAP_ENTRY:
      vcpu.hcallPending = true;
      return;
    case X86_TRAP_GP:
      // Emulation only for the guest kernel: at CPL 3 port I/O is the guest's business (reflected).
      if (errorCode === 0 && (regs[LGUEST_REG_CS] & 3) === 1 && emulateInstruction(vcpu)) return;
      break;
    case X86_TRAP_PF: {
      const cr2 = vcpu.pages.cr2;
      if (guest.mmu.demandPage(cr2, errorCode)) return;
      if (guest.dead) return;
      const data = guest.lguestData;
      if (data !== undefined && !data.setCr2(cr2)) {
        guest.kill('Writing cr2');
        return;
      }
      break;
    }
    case X86_TRAP_NM:
      // The CPU raises #NM only while the guest's TS is set, which is exactly when the guest wants it.
      if (!vcpu.pages.ts) return;
      break;
  }
  if (guest.dead) return;
  reflectTrap(vcpu, vector, errorCode);
}

/** Delivers trap `vector` through the guest IDT, or kills "unhandled trap" when there is no gate. */
export function reflectTrap(vcpu: Vcpu, vector: number, errorCode: number): void {
  const pages = vcpu.pages;
  const hi = vector < IDT_ENTRIES ? pages.idt[vector * 2 + 1] : 0;
  if (vector >= IDT_ENTRIES || !gatePresent(hi)) {
    const detail = vector === X86_TRAP_PF ? pages.cr2 : errorCode;
    vcpu.guest.kill(`unhandled trap ${vector} at ${hex(pages.regs[LGUEST_REG_EIP])} (${hex(detail)})`);
    return;
  }
  pushGuestFrame(vcpu, pages.idt[vector * 2], hi, vectorHasErrorCode(vector), errorCode);
}

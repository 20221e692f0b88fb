/**
 * Interrupt delivery and the guest frame (spec §6.2, §6.3): lguest's `interrupts_and_traps.c`. Before
 * each entry the run loop asks {@link deliverInterrupt} to inject the lowest pending, unblocked IRQ
 * if the guest can take it; trap reflection (`traps.ts`) builds the same frame for exceptions. The
 * frame is pushed with the guest's own page tables (`guest_pa`), word by word, so a bad stack kills
 * the guest instead of the Host.
 */
import {
  FIRST_EXTERNAL_VECTOR,
  GATE_TYPE_INTERRUPT,
  GUEST_KERNEL_CS,
  GUEST_PL,
  gateOffset,
  gatePresent,
  gateType,
  LGUEST_DELIVERY_CLEARED_EFLAGS,
  LGUEST_REG_CS,
  LGUEST_REG_EFLAGS,
  LGUEST_REG_EIP,
  LGUEST_REG_ESP,
  LGUEST_REG_SS,
  X86_EFLAGS_IF,
} from '@lguest/abi';
import type { Vcpu } from './vcpu.js';

/** True when an IRQ is pending and not blocked: what wakes a halted vCPU (§6.8; `irq_enabled` ignored). */
export function interruptWaiting(vcpu: Vcpu): boolean {
  const data = vcpu.guest.lguestData;
  if (data === undefined || vcpu.pendingIrqs === 0) return false;
  return (vcpu.pendingIrqs & ~data.blockedInterrupts()) !== 0;
}

/** §6.2: tries to deliver the first deliverable interrupt now. */
export function deliverInterrupt(vcpu: Vcpu): void {
  const guest = vcpu.guest;
  const data = guest.lguestData;
  if (data === undefined) return;
  const deliverable = vcpu.pendingIrqs & ~data.blockedInterrupts();
  if (deliverable === 0) return;
  const irq = 31 - Math.clz32(deliverable & -deliverable);
  const regs = vcpu.pages.regs;
  const eip = regs[LGUEST_REG_EIP];
  // Inside the guest's iret sequence: interrupts would corrupt its half-restored state.
  if (eip >= guest.noirqStart >>> 0 && eip < guest.noirqEnd >>> 0) return;
  if (vcpu.halted) {
    // Native "sti; hlt": waking from HALT turns the guest's interrupts on.
    data.setIrqEnabled(X86_EFLAGS_IF);
    vcpu.halted = false;
  } else if ((data.irqEnabled() & X86_EFLAGS_IF) === 0) {
    // Only bit 9 counts: the guest's iret stores whole EFLAGS images here (§4, §6.2 step 4).
    data.setIrqPending(X86_EFLAGS_IF);
    return;
  }
  const vector = FIRST_EXTERNAL_VECTOR + irq;
  const lo = vcpu.pages.idt[vector * 2];
  const hi = vcpu.pages.idt[vector * 2 + 1];
  let left = deliverable;
  if (gatePresent(hi)) {
    vcpu.pendingIrqs &= ~(1 << irq);
    left &= ~(1 << irq);
    guest.trace?.({ kind: 'interrupt', irq, vector, eip });
    pushGuestFrame(vcpu, lo, hi, false, 0);
    vcpu.interruptsDelivered++;
  }
  const wall = vcpu.wallScratch;
  guest.clock.wallTime(wall);
  data.setTime(wall[0], wall[1]);
  if (left === 0) data.setIrqPending(0);
}

/** Pushes one 4-byte word below guest-virtual `esp`; returns the new esp. A bad stack kills (§1 item 4). */
function push(vcpu: Vcpu, esp: number, value: number): number {
  const guest = vcpu.guest;
  esp = (esp - 4) >>> 0;
  if (guest.dead) return esp;
  const gpa = guest.mmu.guestPa(esp);
  if (!guest.dead) guest.memory.write32(gpa, value);
  return esp;
}

/**
 * §6.3: enters the guest handler of gate (`lo`, `hi`) as the CPU would, but in the Host: a switch to
 * the `SET_STACK` stack when coming from user mode, then eflags (IF from `irq_enabled`), cs, eip and
 * the error code; an interrupt gate turns the guest's interrupts off.
 */
export function pushGuestFrame(
  vcpu: Vcpu,
  lo: number,
  hi: number,
  hasErrorCode: boolean,
  errorCode: number,
): void {
  const guest = vcpu.guest;
  const pages = vcpu.pages;
  const regs = pages.regs;
  const oldSs = regs[LGUEST_REG_SS];
  const oldEsp = regs[LGUEST_REG_ESP];
  let ss = oldSs;
  let esp = oldEsp;
  if ((oldSs & 3) !== GUEST_PL) {
    ss = pages.ss1;
    esp = pages.esp1;
    esp = push(vcpu, esp, oldSs);
    esp = push(vcpu, esp, oldEsp);
  }
  let eflags = regs[LGUEST_REG_EFLAGS];
  const data = guest.lguestData;
  if (data !== undefined && (data.irqEnabled() & X86_EFLAGS_IF) === 0) eflags &= ~X86_EFLAGS_IF;
  esp = push(vcpu, esp, eflags);
  esp = push(vcpu, esp, regs[LGUEST_REG_CS]);
  esp = push(vcpu, esp, regs[LGUEST_REG_EIP]);
  if (hasErrorCode) esp = push(vcpu, esp, errorCode);
  if (guest.dead) return;
  regs[LGUEST_REG_SS] = ss;
  regs[LGUEST_REG_ESP] = esp;
  regs[LGUEST_REG_CS] = GUEST_KERNEL_CS;
  regs[LGUEST_REG_EIP] = gateOffset(lo, hi);
  regs[LGUEST_REG_EFLAGS] = (regs[LGUEST_REG_EFLAGS] & ~LGUEST_DELIVERY_CLEARED_EFLAGS) >>> 0;
  if (gateType(hi) === GATE_TYPE_INTERRUPT && data !== undefined && !data.setIrqEnabled(0)) {
    guest.kill('Disabling interrupts');
  }
}

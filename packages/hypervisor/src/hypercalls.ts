/**
 * The hypercall dispatcher (spec §3.2, §3.5): every call the guest makes with `int $0x1F` or queues
 * in the async ring ends up here, with the call number and four argument words. Each call applies
 * exactly the checks of the spec and kills the guest with a reason naming the offending value when
 * one fails. Called by the run loop (`vcpu.ts`) and the ring drain (`async-ring.ts`).
 */
import {
  LGUEST_DATA_SIZE,
  LGUEST_REG_PGDIR,
  LGUEST_SHUTDOWN_MESSAGE_SIZE,
  LGUEST_SHUTDOWN_RESTART,
  LguestDataView,
  LHCALL_FLUSH_ASYNC,
  LHCALL_FLUSH_TLB,
  LHCALL_HALT,
  LHCALL_LGUEST_INIT,
  LHCALL_LOAD_GDT_ENTRY,
  LHCALL_LOAD_IDT_ENTRY,
  LHCALL_LOAD_TLS,
  LHCALL_NEW_PGTABLE,
  LHCALL_NOTIFY,
  LHCALL_SEND_INTERRUPTS,
  LHCALL_SET_CLOCKEVENT,
  LHCALL_SET_PGD,
  LHCALL_SET_PTE,
  LHCALL_SET_STACK,
  LHCALL_SHUTDOWN,
  LHCALL_TS,
  SYSCALL_VECTOR,
} from '@lguest/abi';
import { loadGdtEntry, loadIdtEntry, loadTls } from './descriptors.js';
import { hex } from './hex.js';
import type { Vcpu } from './vcpu.js';

const shutdownText = new Uint8Array(LGUEST_SHUTDOWN_MESSAGE_SIZE);
const decoder = new TextDecoder('latin1');

/** Executes hypercall `call` with arguments `a1`…`a4` (`async`: it came from the ring, for the trace). */
export function doHypercall(
  vcpu: Vcpu,
  call: number,
  a1: number,
  a2: number,
  a3: number,
  a4: number,
  async: boolean,
): void {
  const guest = vcpu.guest;
  call >>>= 0;
  vcpu.hypercalls++;
  guest.trace?.({ kind: 'hypercall', call, args: [a1 >>> 0, a2 >>> 0, a3 >>> 0, a4 >>> 0], async });
  if (guest.lguestData === undefined) {
    if (call === LHCALL_LGUEST_INIT) lguestInit(vcpu, a1 >>> 0);
    else guest.kill(`hypercall ${call} before INIT`);
    return;
  }
  const mmu = guest.mmu;
  switch (call) {
    case LHCALL_FLUSH_ASYNC:
    case LHCALL_SEND_INTERRUPTS:
      // Nothing: the exit itself drained the ring and gives pending interrupts their chance.
      return;
    case LHCALL_LGUEST_INIT:
      guest.kill('already have lguest_data');
      return;
    case LHCALL_SHUTDOWN:
      shutdown(vcpu, a1 >>> 0, a2 >>> 0);
      return;
    case LHCALL_NEW_PGTABLE:
      mmu.newPgtable(a1 >>> 0);
      vcpu.pages.regs[LGUEST_REG_PGDIR] = a1 >>> 0;
      return;
    case LHCALL_FLUSH_TLB:
      mmu.flushTlb(a1 !== 0);
      return;
    case LHCALL_LOAD_IDT_ENTRY:
      loadIdtEntry(vcpu, a1, a2, a3);
      return;
    case LHCALL_SET_STACK:
      if (mmu.setStack(a1, a2, a3)) {
        vcpu.pages.ss1 = mmu.stack.ss;
        vcpu.pages.esp1 = mmu.stack.esp;
      }
      return;
    case LHCALL_TS:
      vcpu.pages.ts = a1 !== 0;
      return;
    case LHCALL_SET_CLOCKEVENT:
      // One-shot at now + delta; 0 cancels; a later call replaces an earlier one (§6.7).
      vcpu.clockDeadline = a1 === 0 ? Number.POSITIVE_INFINITY : guest.clock.now() + (a1 >>> 0);
      return;
    case LHCALL_HALT:
      vcpu.halted = true;
      return;
    case LHCALL_SET_PTE:
      mmu.setPte(a1 >>> 0, a2 >>> 0, a3 >>> 0);
      return;
    case LHCALL_SET_PGD:
      mmu.setPgd(a1 >>> 0, a2 >>> 0);
      return;
    case LHCALL_LOAD_TLS:
      loadTls(vcpu, a1 >>> 0);
      return;
    case LHCALL_NOTIFY:
      vcpu.pendingNotify = a1 >>> 0;
      return;
    case LHCALL_LOAD_GDT_ENTRY:
      loadGdtEntry(vcpu, a1 >>> 0, a2 >>> 0, a3 >>> 0);
      return;
    default:
      // Includes 3 (the old LOAD_GDT) and 13 (SET_PMD, PAE hosts only).
      guest.kill(`Bad hypercall ${call}`);
  }
}

/** `LGUEST_INIT(gpa)` (§3.5), step by step. */
function lguestInit(vcpu: Vcpu, gpa: number): void {
  const guest = vcpu.guest;
  if (!guest.memory.addressOk(gpa, LGUEST_DATA_SIZE)) {
    guest.kill(`bad guest page ${hex(gpa)}`);
    return;
  }
  const data = new LguestDataView(guest.memory, gpa);
  // Our TSC counts instructions, not time: the guest must not calibrate delays with it.
  data.setTscKhz(0);
  const syscallVec = data.syscallVec();
  if (syscallVec !== SYSCALL_VECTOR) {
    guest.kill(`bad syscall vector ${hex(syscallVec)}`);
    return;
  }
  guest.noirqStart = data.noirqStart();
  guest.noirqEnd = data.noirqEnd();
  const wall = vcpu.wallScratch;
  guest.clock.wallTime(wall);
  data.setTime(wall[0], wall[1]);
  const kernelAddress = data.kernelAddress();
  data.setReserveMem(guest.mmu.reserveMem);
  if (!guest.mmu.lguestInit(kernelAddress)) return;
  vcpu.pages.syscallVector = syscallVec;
  guest.lguestData = data;
}

/** `SHUTDOWN(gpa, how)` (§3.2): "CRASH: " + the 128-byte text; how 2 turns the death into a restart. */
function shutdown(vcpu: Vcpu, gpa: number, how: number): void {
  const guest = vcpu.guest;
  // A failed read kills with its own reason, which then stands as the death.
  if (guest.memory.copyOut(gpa, shutdownText)) {
    shutdownText[LGUEST_SHUTDOWN_MESSAGE_SIZE - 1] = 0;
    const end = shutdownText.indexOf(0);
    guest.kill(`CRASH: ${decoder.decode(shutdownText.subarray(0, end))}`);
  }
  // Even when the text could not be read (Linux's `reboot` passes the image of a NULL pointer).
  if (how === LGUEST_SHUTDOWN_RESTART) guest.restartRequested = true;
}

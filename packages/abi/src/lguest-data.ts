/**
 * `struct lguest_data`: the page of shared state between guest and Host (spec §4, profile M).
 *
 * It is a global of the guest kernel, registered with `LGUEST_INIT(gpa)`. The guest keeps its virtual
 * interrupt flag and masked IRQ lines here and queues hypercalls in the async ring; the Host writes
 * `cr2`, the wall clock, `irq_pending` and the INIT-time answers. The Host's hypercall, interrupt and
 * trap code read and write it through {@link LguestDataView}.
 */

import { LHCALL_RING_SIZE } from './constants.js';
import { LHCALL_ARGS } from './hypercalls.js';
import type { FieldLayout } from './layout.js';
import { GuestStructView } from './view.js';

/** Bytes of `lguest_data` in profile M (§4). */
export const LGUEST_DATA_SIZE = 1392;

/** Every field of `lguest_data`: offset and size in bytes (§4). */
export const LGUEST_DATA_LAYOUT = {
  /** Virtual IF: 0 off, 0x200 on; only bit 9 counts (the guest stores whole EFLAGS images). */
  irqEnabled: { offset: 0, size: 4 },
  /** Bitmap of the 32 IRQ lines the guest masks. */
  blockedInterrupts: { offset: 4, size: 4 },
  /** Faulting address, written before a #PF is reflected. */
  cr2: { offset: 8, size: 4 },
  /** Wall clock, seconds. */
  timeSec: { offset: 12, size: 4 },
  /** Wall clock, nanoseconds. */
  timeNsec: { offset: 16, size: 4 },
  /** 0x200 when an interrupt waits for the guest to enable interrupts. */
  irqPending: { offset: 20, size: 4 },
  /** Async-ring status bytes, one per slot (0xFF empty, 0 request). */
  hcallStatus: { offset: 24, size: 64 },
  /** Async-ring entries: 64 × 5 words (arg0..arg4). */
  hcalls: { offset: 88, size: 1280 },
  /** Bytes at the top of the 4 GiB virtual space the guest must leave alone (Host, at INIT). */
  reserveMem: { offset: 1368, size: 4 },
  /** TSC frequency in kHz, 0 = do not trust the TSC (Host, at INIT). */
  tscKhz: { offset: 1372, size: 4 },
  /** Start of the iret window where no interrupt may be injected (guest, static). */
  noirqStart: { offset: 1376, size: 4 },
  /** End (exclusive) of the iret window (guest, static). */
  noirqEnd: { offset: 1380, size: 4 },
  /** Guest `PAGE_OFFSET` (guest, static). */
  kernelAddress: { offset: 1384, size: 4 },
  /** The guest's system-call vector, 0x80 (guest, static). */
  syscallVec: { offset: 1388, size: 4 },
} as const satisfies Record<string, FieldLayout>;

/** Bytes per async-ring entry: five 32-bit words (§3.3, §4). */
export const LHCALL_ENTRY_SIZE = 20;

const IRQ_ENABLED = LGUEST_DATA_LAYOUT.irqEnabled.offset;
const BLOCKED_INTERRUPTS = LGUEST_DATA_LAYOUT.blockedInterrupts.offset;
const CR2 = LGUEST_DATA_LAYOUT.cr2.offset;
const TIME_SEC = LGUEST_DATA_LAYOUT.timeSec.offset;
const TIME_NSEC = LGUEST_DATA_LAYOUT.timeNsec.offset;
const IRQ_PENDING = LGUEST_DATA_LAYOUT.irqPending.offset;
const HCALL_STATUS = LGUEST_DATA_LAYOUT.hcallStatus.offset;
const HCALLS = LGUEST_DATA_LAYOUT.hcalls.offset;
const RESERVE_MEM = LGUEST_DATA_LAYOUT.reserveMem.offset;
const TSC_KHZ = LGUEST_DATA_LAYOUT.tscKhz.offset;
const NOIRQ_START = LGUEST_DATA_LAYOUT.noirqStart.offset;
const NOIRQ_END = LGUEST_DATA_LAYOUT.noirqEnd.offset;
const KERNEL_ADDRESS = LGUEST_DATA_LAYOUT.kernelAddress.offset;
const SYSCALL_VEC = LGUEST_DATA_LAYOUT.syscallVec.offset;

function checkSlot(slot: number): void {
  if (!(slot >= 0 && slot < LHCALL_RING_SIZE && Number.isInteger(slot))) {
    throw new RangeError(`async-ring slot ${slot} is not in 0..${LHCALL_RING_SIZE - 1}`);
  }
}

/**
 * A zero-copy view of one guest's `lguest_data`. Make it once at `LGUEST_INIT` (after checking
 * {@link GuestStructView.fits}) and keep it: every method reads or writes guest memory directly.
 */
export class LguestDataView extends GuestStructView {
  get size(): number {
    return LGUEST_DATA_SIZE;
  }

  /** Reads `irq_enabled`. */
  irqEnabled(): number {
    return this.memory.read32(this.gpa + IRQ_ENABLED);
  }
  /** Writes `irq_enabled`; false if the write was dropped. */
  setIrqEnabled(value: number): boolean {
    return this.memory.write32(this.gpa + IRQ_ENABLED, value);
  }
  /** Reads `blocked_interrupts`. */
  blockedInterrupts(): number {
    return this.memory.read32(this.gpa + BLOCKED_INTERRUPTS);
  }
  /** Writes `blocked_interrupts`; false if the write was dropped. */
  setBlockedInterrupts(value: number): boolean {
    return this.memory.write32(this.gpa + BLOCKED_INTERRUPTS, value);
  }
  /** Reads `cr2`. */
  cr2(): number {
    return this.memory.read32(this.gpa + CR2);
  }
  /** Writes `cr2`; false if the write was dropped. */
  setCr2(value: number): boolean {
    return this.memory.write32(this.gpa + CR2, value);
  }
  /** Reads `time.tv_sec`. */
  timeSec(): number {
    return this.memory.read32(this.gpa + TIME_SEC);
  }
  /** Reads `time.tv_nsec`. */
  timeNsec(): number {
    return this.memory.read32(this.gpa + TIME_NSEC);
  }
  /** Writes both words of `time` (the Host does so at INIT and on every delivery attempt). */
  setTime(sec: number, nsec: number): boolean {
    const a = this.memory.write32(this.gpa + TIME_SEC, sec);
    const b = this.memory.write32(this.gpa + TIME_NSEC, nsec);
    return a && b;
  }
  /** Reads `irq_pending`. */
  irqPending(): number {
    return this.memory.read32(this.gpa + IRQ_PENDING);
  }
  /** Writes `irq_pending`; false if the write was dropped. */
  setIrqPending(value: number): boolean {
    return this.memory.write32(this.gpa + IRQ_PENDING, value);
  }

  /** The status byte of async-ring slot `slot` (0–63). */
  hcallStatus(slot: number): number {
    checkSlot(slot);
    return this.memory.read8(this.gpa + HCALL_STATUS + slot);
  }
  /** Writes `hcall_status`; false if the write was dropped. */
  setHcallStatus(slot: number, value: number): boolean {
    checkSlot(slot);
    return this.memory.write8(this.gpa + HCALL_STATUS + slot, value);
  }
  /** Snapshots all 64 status bytes into `dst` (at least 64 bytes long) in one copy (§3.3). */
  copyHcallStatus(dst: Uint8Array): boolean {
    if (dst.length < LHCALL_RING_SIZE) throw new RangeError('status snapshot needs 64 bytes');
    return this.memory.copyOut(this.gpa + HCALL_STATUS, dst.subarray(0, LHCALL_RING_SIZE));
  }
  /** Word `arg` (0 = call number … 4 = esi image) of async-ring slot `slot`. */
  hcallArg(slot: number, arg: number): number {
    checkSlot(slot);
    if (!(arg >= 0 && arg < LHCALL_ARGS)) throw new RangeError(`hypercall word ${arg} is not in 0..4`);
    return this.memory.read32(this.gpa + HCALLS + slot * LHCALL_ENTRY_SIZE + arg * 4);
  }
  /** Writes `hcall_arg`; false if the write was dropped. */
  setHcallArg(slot: number, arg: number, value: number): boolean {
    checkSlot(slot);
    if (!(arg >= 0 && arg < LHCALL_ARGS)) throw new RangeError(`hypercall word ${arg} is not in 0..4`);
    return this.memory.write32(this.gpa + HCALLS + slot * LHCALL_ENTRY_SIZE + arg * 4, value);
  }

  /** Reads `reserve_mem`. */
  reserveMem(): number {
    return this.memory.read32(this.gpa + RESERVE_MEM);
  }
  /** Writes `reserve_mem`; false if the write was dropped. */
  setReserveMem(value: number): boolean {
    return this.memory.write32(this.gpa + RESERVE_MEM, value);
  }
  /** Reads `tsc_khz`. */
  tscKhz(): number {
    return this.memory.read32(this.gpa + TSC_KHZ);
  }
  /** Writes `tsc_khz`; false if the write was dropped. */
  setTscKhz(value: number): boolean {
    return this.memory.write32(this.gpa + TSC_KHZ, value);
  }
  /** Reads `noirq_start`. */
  noirqStart(): number {
    return this.memory.read32(this.gpa + NOIRQ_START);
  }
  /** Writes `noirq_start`; false if the write was dropped. */
  setNoirqStart(value: number): boolean {
    return this.memory.write32(this.gpa + NOIRQ_START, value);
  }
  /** Reads `noirq_end`. */
  noirqEnd(): number {
    return this.memory.read32(this.gpa + NOIRQ_END);
  }
  /** Writes `noirq_end`; false if the write was dropped. */
  setNoirqEnd(value: number): boolean {
    return this.memory.write32(this.gpa + NOIRQ_END, value);
  }
  /** Reads `kernel_address`. */
  kernelAddress(): number {
    return this.memory.read32(this.gpa + KERNEL_ADDRESS);
  }
  /** Writes `kernel_address`; false if the write was dropped. */
  setKernelAddress(value: number): boolean {
    return this.memory.write32(this.gpa + KERNEL_ADDRESS, value);
  }
  /** Reads `syscall_vec`. */
  syscallVec(): number {
    return this.memory.read32(this.gpa + SYSCALL_VEC);
  }
  /** Writes `syscall_vec`; false if the write was dropped. */
  setSyscallVec(value: number): boolean {
    return this.memory.write32(this.gpa + SYSCALL_VEC, value);
  }
}

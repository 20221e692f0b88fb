/**
 * `@lguest/hypervisor`: the lguest Host — guests and vCPUs, the `run_guest` loop, every profile-M
 * hypercall with the async ring, interrupt and trap delivery, #GP emulation, the clock and HALT,
 * kill semantics and a trace hook. A guest runs synchronously in the calling thread with
 * {@link Vcpu.run}; other threads reach it through the shared control block.
 */
export { type HostClock, systemClock, VirtualClock, type VirtualClockOptions } from './clock.js';
export {
  CONTROL_BLOCK_WORDS,
  CONTROL_HOLD,
  CONTROL_IRQS,
  CONTROL_KICK,
  createControlBlock,
  HOLD_BREAK,
  HOLD_CLOSE,
  raiseIrq,
  requestStop,
  setHold,
} from './control.js';
export { createGuest, Guest, type GuestOptions } from './guest.js';
export {
  EBADF,
  type FileRunResult,
  LguestError,
  LguestFile,
  type LguestFileOptions,
  type NotifyTarget,
  openLguest,
} from './lguest-file.js';
export type { TraceEvent, TraceHook } from './trace.js';
export { type RunOptions, type RunResult, Vcpu } from './vcpu.js';

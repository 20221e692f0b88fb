/**
 * The shared control block: how other threads reach a running or halted vCPU (ARCHITECTURE "How one
 * guest runs", step 5). It is an `Int32Array` over a `SharedArrayBuffer`. Word `CONTROL_STOP` (from
 * `@lguest/x86`) is the one the CPU polls: any non-zero value ends its run with a stop and wakes a
 * halted vCPU sleeping in `Atomics.wait` on it. The words after it say why.
 *
 * Writers (the Launcher's main thread, a device, `LHREQ_IRQ`, `LHREQ_BREAK`, close) use the functions
 * here; the vCPU's run loop (`vcpu.ts`) is the only reader and the only one that clears `CONTROL_STOP`.
 */
import { LGUEST_IRQS } from '@lguest/abi';
import { CONTROL_STOP } from '@lguest/x86';

/** Pending-IRQ bits raised from any thread (bit n = IRQ n); the run loop takes them with `Atomics.exchange`. */
export const CONTROL_IRQS = 1;
/**
 * Held stop reasons (`HOLD_*` bits): while any is set, `run()` returns `{kind: 'stop'}` at once. Whoever
 * set a bit clears it (`LHREQ_BREAK(0)`).
 */
export const CONTROL_HOLD = 2;
/** One-shot stop requests: `run()` returns `{kind: 'stop'}` once and clears the word. */
export const CONTROL_KICK = 3;
/** Words in the control block. */
export const CONTROL_BLOCK_WORDS = 4;

/** `CONTROL_HOLD` bit: the legacy break of `LHREQ_BREAK(1)` (§2.5). */
export const HOLD_BREAK = 1;
/** `CONTROL_HOLD` bit: the file was closed; the vCPU must never run again. */
export const HOLD_CLOSE = 2;

/** A fresh control block over shared memory. */
export function createControlBlock(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CONTROL_BLOCK_WORDS * 4));
}

function wake(control: Int32Array): void {
  Atomics.store(control, CONTROL_STOP, 1);
  Atomics.notify(control, CONTROL_STOP);
}

/**
 * Marks IRQ `irq` pending and stops or wakes the vCPU (safe from any thread). Returns false, doing
 * nothing, for a line outside 0..31.
 */
export function raiseIrq(control: Int32Array, irq: number): boolean {
  if (!(Number.isInteger(irq) && irq >= 0 && irq < LGUEST_IRQS)) return false;
  Atomics.or(control, CONTROL_IRQS, 1 << irq);
  wake(control);
  return true;
}

/** Asks a running vCPU's `run()` to return `{kind: 'stop'}` once (safe from any thread). */
export function requestStop(control: Int32Array): void {
  Atomics.store(control, CONTROL_KICK, 1);
  wake(control);
}

/** Sets or clears a held stop reason (`HOLD_*`); while any is set the vCPU does not run. */
export function setHold(control: Int32Array, bit: number, on: boolean): void {
  if (on) {
    Atomics.or(control, CONTROL_HOLD, bit);
    wake(control);
  } else {
    Atomics.and(control, CONTROL_HOLD, ~bit);
  }
}

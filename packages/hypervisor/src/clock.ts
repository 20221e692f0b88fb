/**
 * Time as the Host sees it: a monotonic clock for the guest's one-shot clock-event deadline (§6.7),
 * the wall clock written into `lguest_data.time` (§4), and the sleep of a halted vCPU (§6.8). The
 * run loop (`vcpu.ts`) is the only caller. It is injectable so that tests, benchmarks and
 * deterministic replays can run on a virtual clock instead of the machine's.
 */
import { CONTROL_STOP } from '@lguest/x86';

/** The Host's clock. All times are nanoseconds in a JavaScript number (exact well past a year of uptime). */
export interface HostClock {
  /** Monotonic time in nanoseconds: clock-event deadlines are measured on it. */
  now(): number;
  /** The wall clock (realtime) at `now()`: `out[0]` = seconds since the epoch, `out[1]` = nanoseconds. */
  wallTime(out: Uint32Array): void;
  /**
   * Sleeps until `now() >= deadline` (`Infinity`: no deadline) or until word `CONTROL_STOP` of the
   * control block is non-zero (another thread raised an IRQ or asked for a stop). Returns false when
   * it cannot sleep because nothing could ever wake the vCPU (an in-thread clock with no deadline);
   * the run loop then returns `{kind: 'idle'}`.
   */
  wait(control: Int32Array, deadline: number): boolean;
}

/**
 * The machine's clock: `performance.now()` for deadlines, `performance.timeOrigin` for the wall clock,
 * and `Atomics.wait` on the control block for sleeping (a halted vCPU in a worker sleeps until an IRQ,
 * a stop or its deadline). With no deadline it sleeps until another thread wakes it.
 */
export function systemClock(): HostClock {
  return {
    now: () => performance.now() * 1e6,
    wallTime: (out) => splitWallTime((performance.timeOrigin + performance.now()) * 1e6, out),
    wait(control, deadline) {
      if (Atomics.load(control, CONTROL_STOP) !== 0) return true;
      const ms =
        deadline === Number.POSITIVE_INFINITY
          ? Number.POSITIVE_INFINITY
          : (deadline - performance.now() * 1e6) / 1e6;
      if (ms > 0) Atomics.wait(control, CONTROL_STOP, 0, ms);
      return true;
    },
  };
}

/** Options for {@link VirtualClock}. */
export interface VirtualClockOptions {
  /** Instructions the guest has executed so far (e.g. `() => vcpu.instructions`). */
  instructions: () => number;
  /** Virtual nanoseconds per guest instruction. Default 10 (a 100 MIPS guest). */
  nsPerInstruction?: number;
  /** The wall clock at virtual time 0, in nanoseconds since the epoch. Default 2026-01-01. */
  wallStartNs?: number;
}

/**
 * A deterministic clock driven by the guest's instruction count: time advances by a fixed amount per
 * instruction, and a halted vCPU skips straight to its deadline instead of sleeping. With no deadline
 * there is nothing to wait for, so `wait` returns false (the run returns `idle`). Meant for tests and
 * reproducible runs in one thread.
 */
export class VirtualClock implements HostClock {
  readonly #instructions: () => number;
  readonly #nsPerInstruction: number;
  readonly #wallStart: number;
  /** Time skipped while halted. */
  #skipped = 0;

  constructor(options: VirtualClockOptions) {
    this.#instructions = options.instructions;
    this.#nsPerInstruction = options.nsPerInstruction ?? 10;
    this.#wallStart = options.wallStartNs ?? 1_767_225_600e9;
  }

  now(): number {
    return this.#instructions() * this.#nsPerInstruction + this.#skipped;
  }

  wallTime(out: Uint32Array): void {
    splitWallTime(this.#wallStart + this.now(), out);
  }

  wait(control: Int32Array, deadline: number): boolean {
    if (Atomics.load(control, CONTROL_STOP) !== 0) return true;
    if (deadline === Number.POSITIVE_INFINITY) return false;
    const now = this.now();
    if (deadline > now) this.#skipped += deadline - now;
    return true;
  }
}

function splitWallTime(ns: number, out: Uint32Array): void {
  const sec = Math.floor(ns / 1e9);
  out[0] = sec >>> 0;
  out[1] = Math.min(999_999_999, Math.max(0, Math.floor(ns - sec * 1e9)));
}

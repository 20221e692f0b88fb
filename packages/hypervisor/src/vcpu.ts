/**
 * A vCPU and lguest's `run_guest` loop (spec §2.3): drain the async ring and run the pending
 * hypercall (§3.4), return a pending notification to the Launcher, honour stops from other threads,
 * deliver interrupts (§6.2), sleep while halted (§6.8), then enter the guest once through the Switcher
 * and handle the trap it comes back with (§6.4). `run()` returns for a notify value, a death, a
 * restart, a stop or an exhausted budget — the shape the `/dev/lguest` file's `read()` needs.
 */
import {
  ERESTART,
  LGUEST_REG_EAX,
  LGUEST_REG_EBX,
  LGUEST_REG_ECX,
  LGUEST_REG_EDX,
  LGUEST_REG_ESI,
} from '@lguest/abi';
import { LguestPages, RUN_TRAP, Switcher } from '@lguest/switcher';
import { CONTROL_STOP, type Cpu } from '@lguest/x86';
import { drainAsyncRing } from './async-ring.js';
import { CONTROL_HOLD, CONTROL_IRQS, CONTROL_KICK, raiseIrq } from './control.js';
import type { Guest } from './guest.js';
import { doHypercall } from './hypercalls.js';
import { deliverInterrupt, interruptWaiting } from './interrupts.js';
import { handleTrap } from './traps.js';

/** Why {@link Vcpu.run} returned. */
export type RunResult =
  /** The guest sent `NOTIFY(value)` (§2.3 step 3.2). */
  | { kind: 'notify'; value: number }
  /** The guest is dead; `reason` is the first kill reason. */
  | { kind: 'dead'; reason: string }
  /** The guest asked for a restart (`SHUTDOWN(…, 2)`): read() would return `ERESTART`. */
  | { kind: 'restart'; errno: typeof ERESTART }
  /** Another thread asked for a stop (`requestStop`, a held break or close) through the control block. */
  | { kind: 'stop' }
  /** The instruction budget given to `run()` was spent; the guest can simply be run again. */
  | { kind: 'budget' }
  /** Halted with no clock deadline and a clock that cannot sleep for ever (a virtual clock). */
  | { kind: 'idle' };

/** Options for {@link Vcpu.run}. */
export interface RunOptions {
  /** Guest instructions after which `run()` returns `{kind: 'budget'}` (default: no limit). */
  budget?: number;
}

/** @internal Construction options from {@link Guest}. */
export interface VcpuOptions {
  start: number;
  control: Int32Array;
  onNotify: ((value: number) => boolean) | undefined;
  sliceInstructions: number;
  directTraps: boolean;
}

const NO_DEADLINE = Number.POSITIVE_INFINITY;
/** How long a halted vCPU whose interrupt cannot be delivered (IDT entry missing) sleeps before retrying. */
const UNDELIVERABLE_RETRY_NS = 1e6;

/** One virtual CPU (lguest's `struct lg_cpu`). */
export class Vcpu {
  /** The guest this vCPU belongs to. */
  readonly guest: Guest;
  /** The register frame and descriptor-table copies the Switcher installs. */
  readonly pages: LguestPages;
  /** The world switch, which owns the CPU. */
  readonly switcher: Switcher;
  /** The shared control block (see `control.ts`). */
  readonly control: Int32Array;
  /** IRQ lines pending delivery (bit n = IRQ n, §6.1). */
  pendingIrqs = 0;
  /** Halted by `HALT` (§6.8). */
  halted = false;
  /** The clock-event deadline on the clock's monotonic scale, or Infinity (§6.7). */
  clockDeadline = NO_DEADLINE;
  /** A synchronous hypercall waits in the register frame (§3.4). */
  hcallPending = false;
  /** The notification for the Launcher (0 = none), §2.3. */
  pendingNotify = 0;
  /** The async ring cursor (`next_hcall`, §3.3). */
  nextHcall = 0;
  /** @internal Scratch for the async ring's status snapshot. */
  readonly ringStatus = new Uint8Array(64);
  /** @internal Scratch for wall-clock writes. */
  readonly wallScratch = new Uint32Array(2);
  /** Hypercalls executed (synchronous and from the ring). */
  hypercalls = 0;
  /** Interrupts delivered. */
  interruptsDelivered = 0;
  readonly #onNotify: ((value: number) => boolean) | undefined;
  readonly #slice: number;

  constructor(guest: Guest, options: VcpuOptions) {
    this.guest = guest;
    this.control = options.control;
    this.#onNotify = options.onNotify;
    this.#slice = Math.max(1, Math.floor(options.sliceInstructions));
    this.pages = new LguestPages(options.start);
    this.switcher = new Switcher({
      memory: guest.memory,
      mmu: guest.mmu,
      control: options.control,
      directTraps: options.directTraps,
    });
  }

  /** The CPU. */
  get cpu(): Cpu {
    return this.switcher.cpu;
  }

  /** Guest instructions executed so far. */
  get instructions(): number {
    return this.switcher.cpu.instructionCount;
  }

  /** Runs that ended in a guest trap (Host exits). */
  get exits(): number {
    return this.switcher.trapExits;
  }

  /** Marks IRQ `irq` (0–31) pending and wakes or stops the vCPU. Safe from any thread through the control block. */
  raiseIrq(irq: number): boolean {
    return raiseIrq(this.control, irq);
  }

  /**
   * Runs the guest: lguest's `read()` on `/dev/lguest` (§2.3) without the file. Returns for a notify,
   * a death or restart, a stop from the control block, an exhausted budget, or an idle halt.
   */
  run(options: RunOptions = {}): RunResult {
    const guest = this.guest;
    if (guest.dead) return this.#deathResult();
    this.pendingNotify = 0;
    const clock = guest.clock;
    const control = this.control;
    const cpu = this.switcher.cpu;
    let left = options.budget ?? NO_DEADLINE;

    for (;;) {
      if (Atomics.load(control, CONTROL_STOP) !== 0) {
        Atomics.store(control, CONTROL_STOP, 0);
        this.pendingIrqs |= Atomics.exchange(control, CONTROL_IRQS, 0);
        if (Atomics.exchange(control, CONTROL_KICK, 0) !== 0) return { kind: 'stop' };
      }
      if (Atomics.load(control, CONTROL_HOLD) !== 0) {
        // Keep the stop word up so the next run() (or a halted wait) notices at once.
        Atomics.store(control, CONTROL_STOP, 1);
        return { kind: 'stop' };
      }
      if (this.hcallPending) this.#processHypercalls();
      if (guest.dead) break;
      if (this.pendingNotify !== 0) {
        const value = this.pendingNotify;
        this.pendingNotify = 0;
        if (this.#onNotify?.(value)) continue;
        return { kind: 'notify', value };
      }
      if (this.clockDeadline !== NO_DEADLINE && clock.now() >= this.clockDeadline) {
        this.clockDeadline = NO_DEADLINE;
        this.pendingIrqs |= 1;
      }
      if (this.pendingIrqs !== 0) deliverInterrupt(this);
      if (guest.dead) break;
      if (this.halted) {
        const waiting = interruptWaiting(this);
        const deadline = waiting
          ? Math.min(this.clockDeadline, clock.now() + UNDELIVERABLE_RETRY_NS)
          : this.clockDeadline;
        if (!clock.wait(control, deadline)) return { kind: 'idle' };
        continue;
      }
      if (left <= 0) return { kind: 'budget' };
      const before = cpu.instructionCount;
      const outcome = this.switcher.runGuestOnce(this.pages, left < this.#slice ? left : this.#slice);
      // A trap that completed no instruction still counts, so a fault loop cannot outlive the budget.
      left -= Math.max(1, cpu.instructionCount - before);
      if (outcome === RUN_TRAP) handleTrap(this);
      if (guest.dead) break;
    }
    return this.#deathResult();
  }

  /** §3.4: before INIT only INIT may run; after it, drain the ring, then the synchronous call unless a notify is pending. */
  #processHypercalls(): void {
    const regs = this.pages.regs;
    if (this.guest.lguestData !== undefined) {
      drainAsyncRing(this);
      if (this.guest.dead || this.pendingNotify !== 0) return;
    }
    this.hcallPending = false;
    doHypercall(
      this,
      regs[LGUEST_REG_EAX],
      regs[LGUEST_REG_EBX],
      regs[LGUEST_REG_ECX],
      regs[LGUEST_REG_EDX],
      regs[LGUEST_REG_ESI],
      false,
    );
  }

  #deathResult(): RunResult {
    if (this.guest.restartRequested) return { kind: 'restart', errno: ERESTART };
    return { kind: 'dead', reason: this.guest.death.reason ?? 'dead' };
  }
}

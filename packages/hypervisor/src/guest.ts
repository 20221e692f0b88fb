/**
 * A guest: what lguest's `struct lguest` held — its memory and `pfn_limit`, its shadow page tables,
 * its death record, the registered `lguest_data`, and its vCPU. Created by {@link createGuest} (the
 * `LHREQ_INITIALIZE` step, §2.2) and driven by {@link Vcpu.run}. Several guests live happily in one
 * process: nothing here is global, and each has its own memory, MMU, CPU and control block.
 */
import { DeathRecord, type GuestMemory, type LguestDataView } from '@lguest/abi';
import { ShadowMmu } from '@lguest/mmu';
import { type HostClock, systemClock } from './clock.js';
import { createControlBlock } from './control.js';
import { hex } from './hex.js';
import type { TraceHook } from './trace.js';
import { Vcpu } from './vcpu.js';

/** Options for {@link createGuest}: the `LHREQ_INITIALIZE` words and the Host's plumbing. */
export interface GuestOptions {
  /** Guest-physical memory; gpa 0 is at `memory.base` (lguest's `base`). The Host installs its fault hook. */
  memory: GuestMemory;
  /** Pages the guest may touch; default: what `memory` already allows. Capped at the buffer's end. */
  pfnLimit?: number;
  /** Where the guest starts (eip, a gpa: e.g. ELF `e_entry`). */
  start: number;
  /** Time source and halt sleep. Default: {@link systemClock}. */
  clock?: HostClock;
  /** The shared control block (see `control.ts`); default a fresh one over a `SharedArrayBuffer`. */
  control?: Int32Array;
  /** Trace hook: one event per hypercall, trap, interrupt delivery and kill. */
  trace?: TraceHook;
  /**
   * Called for each `NOTIFY` value before it is returned from `run()`; returning true consumes it
   * (lguest's eventfd mapping, §2.2 `LHREQ_EVENTFD`) and the guest keeps running.
   */
  onNotify?: (value: number) => boolean;
  /** Let the CPU deliver direct traps (§6.5) without an exit. Default true. */
  directTraps?: boolean;
  /** Instructions per CPU slice: how often a spinning guest is checked for deliverable interrupts. Default 4096. */
  sliceInstructions?: number;
}

/** One guest (lguest's `struct lguest`) with its single vCPU. */
export class Guest {
  /** Guest-physical memory, checked against `pfn_limit` on every Host access. */
  readonly memory: GuestMemory;
  /** The death record: the first kill reason wins. */
  readonly death: DeathRecord;
  /** The shadow page tables (§7). */
  readonly mmu: ShadowMmu;
  /** The clock. */
  readonly clock: HostClock;
  /** The trace hook, if any. */
  readonly trace: TraceHook | undefined;
  /** `lguest_data` once `LGUEST_INIT` registered it (§3.5). */
  lguestData: LguestDataView | undefined;
  /** The iret window read at `LGUEST_INIT` (§6.2 step 3). */
  noirqStart = 0;
  noirqEnd = 0;
  /** `SHUTDOWN(…, 2)`: the death is a restart (`ERESTART`), whatever reason was recorded. */
  restartRequested = false;
  /** The vCPUs (only CPU 0 exists, §2). */
  readonly vcpus: readonly Vcpu[];

  constructor(options: GuestOptions) {
    this.memory = options.memory;
    this.trace = options.trace;
    this.clock = options.clock ?? systemClock();
    const trace = options.trace;
    this.death = new DeathRecord(
      trace === undefined ? undefined : (reason) => trace({ kind: 'kill', reason }),
    );
    if (options.pfnLimit !== undefined) this.memory.setPfnLimit(options.pfnLimit);
    // Host copies to or from guest memory that fail the range check kill the guest (§1 item 6).
    this.memory.onFault = (addr, len) =>
      this.death.kill(`guest memory access out of range at ${hex(addr)} (${len} bytes)`);
    this.mmu = new ShadowMmu({ memory: this.memory, killer: this.death });
    const vcpu = new Vcpu(this, {
      start: options.start >>> 0,
      control: options.control ?? createControlBlock(),
      onNotify: options.onNotify,
      sliceInstructions: options.sliceInstructions ?? 4096,
      directTraps: options.directTraps ?? true,
    });
    this.vcpus = [vcpu];
  }

  /** CPU 0. */
  get vcpu(): Vcpu {
    return this.vcpus[0];
  }

  /** Kills the guest with `reason` (kept only if it is the first). Never throws. */
  kill(reason: string): void {
    this.death.kill(reason);
  }

  /** True once the guest was killed (or shut down). */
  get dead(): boolean {
    return this.death.dead;
  }
}

/** `LHREQ_INITIALIZE` (§2.2): a guest in the state of §5.5, in linear mode, ready to `run()`. */
export function createGuest(options: GuestOptions): Guest {
  return new Guest(options);
}

/**
 * An in-process {@link VirtioTransport}: the seam devices need, without a Host.
 *
 * The Host raises a device's interrupt with `LHREQ_IRQ` and hands the Launcher the guest's NOTIFY
 * values; here a composer (a test, a README example, an embedder running its own guest loop) plays
 * both parts: {@link LocalTransport.notify} is the guest's NOTIFY hypercall, and raised interrupt
 * lines collect in a pending word (and go to an optional callback).
 */
import {
  DeathRecord,
  type GuestKiller,
  type GuestMemory,
  LGUEST_IRQS,
  type VirtioTransport,
} from '@lguest/abi';

/** Options for {@link LocalTransport}. */
export interface LocalTransportOptions {
  /** The guest's kill switch (default: a fresh `DeathRecord`). */
  readonly killer?: GuestKiller;
  /** Called for every raised line. */
  readonly onIrq?: (irq: number) => void;
}

/** A transport whose guest side is driven by direct calls. */
export class LocalTransport implements VirtioTransport {
  readonly memory: GuestMemory;
  readonly killer: GuestKiller;
  readonly #listeners = new Set<(value: number) => void>();
  readonly #onIrq: ((irq: number) => void) | undefined;
  #pending = 0;

  constructor(memory: GuestMemory, options: LocalTransportOptions = {}) {
    this.memory = memory;
    this.killer = options.killer ?? new DeathRecord();
    this.#onIrq = options.onIrq;
  }

  raiseIrq(irq: number): void {
    if (!(Number.isInteger(irq) && irq >= 0 && irq < LGUEST_IRQS)) {
      throw new RangeError(`IRQ ${irq} is not a line 0..${LGUEST_IRQS - 1}`);
    }
    this.#pending = (this.#pending | (1 << irq)) >>> 0;
    this.#onIrq?.(irq);
  }

  onNotify(listener: (value: number) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** The guest's NOTIFY hypercall: hands `value` to every listener. */
  notify(value: number): void {
    for (const listener of this.#listeners) listener(value >>> 0);
  }

  /** The raised lines as a bit mask, without clearing them. */
  get pendingIrqs(): number {
    return this.#pending;
  }

  /** Returns the raised lines as a bit mask and clears them (the guest took its interrupts). */
  takeIrqs(): number {
    const pending = this.#pending;
    this.#pending = 0;
    return pending;
  }
}

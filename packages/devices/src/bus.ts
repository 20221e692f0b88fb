/**
 * The lguest bus on the host side: the devices of one guest, and where its NOTIFY values go
 * (spec §9.1–§9.3, §9.6, §10.1–§10.2).
 *
 * The Launcher (or any composer) makes one bus per guest over that guest's {@link VirtioTransport},
 * adds devices in creation order (the console last, as the reference Launcher does), and passes
 * `bus.limit / 4096` as the guest's `pfn_limit`. Every NOTIFY value the guest sends is then routed
 * here: a descriptor's gpa is a status change, a vring's gpa is a kick of that queue, any other value
 * below the limit is an early-console string, and a value at or above it kills the guest ("bad
 * NOTIFY"). Each guest has its own bus, memory and killer, so a guest killed for a malformed vring
 * takes nothing of another guest's devices with it.
 */
import type { VirtioTransport } from '@lguest/abi';
import type { DeviceBinding, VirtioDevice } from './device.js';
import { DevicePage, type PlacedDevice } from './device-page.js';
import { readEarlyConsoleString } from './early-console.js';
import { DeviceSlot } from './status.js';

/** What a NOTIFY value turned out to be. */
export type NotifyOutcome =
  /** A descriptor's gpa: the device's status changed. */
  | 'status'
  /** A vring's gpa: the queue was kicked. */
  | 'kick'
  /** An early-console string (§9.6). */
  | 'early-console'
  /** At or above `guest_limit`: the guest was killed. */
  | 'bad'
  /** The guest is dead (or the bus closed); nothing was done. */
  | 'dead';

/** Options for {@link LguestBus}. */
export interface LguestBusOptions {
  /** Bytes of guest RAM; the device page sits right above it (a multiple of 4096). */
  readonly ramSize: number;
  /** Subscribe to the transport's NOTIFY values (default true). Pass false to call {@link LguestBus.notify} yourself. */
  readonly listen?: boolean;
  /** Receives early-console strings (copies). Without it they are dropped. */
  readonly onEarlyConsole?: (text: Uint8Array) => void;
  /** Receives warnings that do not kill the guest (a driver that set FAILED). */
  readonly onWarning?: (message: string) => void;
}

interface Target {
  readonly slot: DeviceSlot;
  /** -1 for the descriptor, else the queue index. */
  readonly queue: number;
}

/** The devices of one guest and the router of its NOTIFY values. */
export class LguestBus {
  readonly transport: VirtioTransport;
  readonly #page: DevicePage;
  readonly #slots: DeviceSlot[] = [];
  readonly #targets = new Map<number, Target>();
  readonly #options: LguestBusOptions;
  readonly #unsubscribe: (() => void) | undefined;
  #closed = false;

  constructor(transport: VirtioTransport, options: LguestBusOptions) {
    this.transport = transport;
    this.#options = options;
    this.#page = new DevicePage(transport.memory, options.ramSize);
    this.#unsubscribe =
      options.listen === false ? undefined : transport.onNotify((value) => this.notify(value));
  }

  /** gpa of the device page (= RAM size). */
  get devicePageGpa(): number {
    return this.#page.gpa;
  }

  /** `guest_limit`: the end of the device page and every vring placed so far. */
  get limit(): number {
    return this.#page.limit;
  }

  /** The placed devices, in descriptor order. */
  get devices(): readonly PlacedDevice[] {
    return this.#slots.map((s) => s.placed);
  }

  /** True while the guest has device `device` started (between its status-3 notification and a reset). */
  isRunning(device: VirtioDevice): boolean {
    return this.#slots.some((s) => s.placed.device === device && s.running);
  }

  /**
   * Places `device` on the device page (its descriptor, vrings and IRQ lines) and attaches it. Call
   * before the guest starts: the guest scans the page once. Throws `RangeError` when the page, the
   * device pages or the IRQ lines run out.
   */
  add<D extends VirtioDevice>(device: D): D {
    if (this.#closed) throw new Error('the bus is closed');
    const placed = this.#page.place(this.transport, device);
    const transport = this.transport;
    const warn = (message: string) => this.#options.onWarning?.(message);
    const binding: DeviceBinding = {
      queues: placed.queues,
      memory: transport.memory,
      killer: transport.killer,
      configGpa: placed.configGpa,
      warn,
    };
    const slot = new DeviceSlot(placed, binding);
    this.#slots.push(slot);
    this.#targets.set(placed.descriptorGpa, { slot, queue: -1 });
    placed.queues.forEach((q, i) => {
      this.#targets.set(q.gpa, { slot, queue: i });
    });
    device.attach(binding);
    return device;
  }

  /** Routes one NOTIFY value from the guest (see the file comment). Never throws for guest values. */
  notify(value: number): NotifyOutcome {
    const killer = this.transport.killer;
    if (killer.dead || this.#closed) return 'dead';
    value >>>= 0;
    const target = this.#targets.get(value);
    if (target !== undefined) {
      if (target.queue < 0) {
        target.slot.statusChanged();
        return 'status';
      }
      target.slot.kick(target.queue);
      return 'kick';
    }
    if (value >= this.#page.limit) {
      killer.kill(`Bad NOTIFY 0x${value.toString(16)} (guest_limit 0x${this.#page.limit.toString(16)})`);
      return 'bad';
    }
    this.#options.onEarlyConsole?.(readEarlyConsoleString(this.transport.memory, value, this.#page.limit));
    return 'early-console';
  }

  /** Resets every device, as before a reboot. */
  reset(): void {
    for (const slot of this.#slots) slot.reset();
  }

  /** Stops listening and closes every device (their files, input listeners). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe?.();
    for (const slot of this.#slots) slot.placed.device.close();
  }
}

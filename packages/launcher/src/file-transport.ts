/**
 * The devices' way to their guest when the guest runs behind the Host's `/dev/lguest` file: the
 * `VirtioTransport` the Launcher hands `prepareGuest`. Interrupts become `LHREQ_IRQ` writes (which
 * wake a running or halted vCPU through the file's control block at once — the Waker of the reference
 * Launcher without its thread), NOTIFY values come from the run loop, and a device that finds a
 * malformed vring kills the guest here: the run loop sees the death, closes the file and reports it.
 */
import { DeathRecord, type GuestMemory, LHREQ_IRQ, type VirtioTransport } from '@lguest/abi';
import type { LguestFile } from '@lguest/hypervisor';

/** A transport over an {@link LguestFile}, attached once the file exists. */
export class FileTransport implements VirtioTransport {
  readonly memory: GuestMemory;
  readonly killer: DeathRecord;
  readonly #listeners = new Set<(value: number) => void>();
  #file: LguestFile | undefined;

  /** `onKill` runs once, with the first reason a device gave. */
  constructor(memory: GuestMemory, onKill?: (reason: string) => void) {
    this.memory = memory;
    this.killer = new DeathRecord(onKill);
  }

  /** Connects the file whose guest the devices serve (after `prepareGuest`, before the first read). */
  attach(file: LguestFile): void {
    this.#file = file;
  }

  raiseIrq(irq: number): void {
    const file = this.#file;
    if (file === undefined || file.dead || this.killer.dead) return;
    try {
      file.write([LHREQ_IRQ, irq]);
    } catch {
      // The guest died or the file closed between the check and the write: nobody is left to wake.
    }
  }

  onNotify(listener: (value: number) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Hands a NOTIFY value read from the file to every listener. */
  notify(value: number): void {
    for (const listener of this.#listeners) listener(value >>> 0);
  }
}

/**
 * The seam between virtio devices and whatever hosts the guest.
 *
 * Devices live beside the Launcher (the main thread in lguest.ts), not in the Host, so they see
 * the guest only through this: its memory, a way to raise one of its interrupt lines, the NOTIFY
 * values the guest writes (a "kick"), and the kill switch for a guest that hands them garbage.
 */
import type { GuestKiller } from './killer.js';
import type { GuestMemory } from './memory.js';

/** What a virtio device needs from the thing that runs its guest. */
export interface VirtioTransport {
  /** The guest's physical memory, checked on every access. */
  readonly memory: GuestMemory;
  /** Raises virtual interrupt line `irq` (0–31) in the guest (lguest's `LHREQ_IRQ`). */
  raiseIrq(irq: number): void;
  /**
   * Subscribes to the guest's NOTIFY hypercall values (gpas of descriptors or vrings).
   * Returns a function that ends the subscription.
   */
  onNotify(listener: (value: number) => void): () => void;
  /** Kills the guest with a reason (first reason wins). */
  readonly killer: GuestKiller;
}

/**
 * Killing a guest: lguest's `kill_guest`.
 *
 * The guest is untrusted. When host code notices the guest did something it must not (a bad
 * address, a malformed descriptor, an impossible hypercall argument) it records a reason and
 * carries on as if nothing had happened; the run loop sees the guest is dead and never enters it
 * again. Only the first reason is kept: later ones are usually consequences of the first.
 */

/** The "kill the guest" seam shared by the MMU, the devices, grant tables and the Host. */
export interface GuestKiller {
  /** Records `reason` as the guest's death unless it is already dead. Never throws. */
  kill(reason: string): void;
  /** True once {@link GuestKiller.kill} has been called. */
  readonly dead: boolean;
  /** The first reason given, or `undefined` while the guest lives. */
  readonly reason: string | undefined;
}

/** The plain {@link GuestKiller}: remembers the first reason and tells whoever listens once. */
export class DeathRecord implements GuestKiller {
  #reason: string | undefined;
  #onDeath: ((reason: string) => void) | undefined;

  /** `onDeath` runs once, on the first kill. */
  constructor(onDeath?: (reason: string) => void) {
    this.#onDeath = onDeath;
  }

  kill(reason: string): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#onDeath?.(reason);
  }

  get dead(): boolean {
    return this.#reason !== undefined;
  }

  get reason(): string | undefined {
    return this.#reason;
  }
}

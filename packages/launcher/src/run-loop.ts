/**
 * The Launcher's main loop (spec §10.1 step 3) on top of the Host's `/dev/lguest` file: read until the
 * guest has something for us, route each NOTIFY value to the bus (a descriptor's status, a vring's
 * kick, or an early-console string, §9.6), and end when the guest dies, asks for a restart, or the
 * Launcher closes the file (three Ctrl-C, a signal, a device that killed the guest). `main` calls
 * {@link runGuest} once per boot.
 */
import { EINTR, ERESTART, type GuestKiller } from '@lguest/abi';
import type { LguestBus } from '@lguest/devices';
import { EBADF, LguestError, type LguestFile } from '@lguest/hypervisor';
import { hex } from './load-error.js';

/** The reason a Linux guest's power-off gives (`SHUTDOWN(POWEROFF)` with the kernel's "Power down"). */
export const POWER_DOWN_REASON = 'CRASH: Power down';

/** How one boot ended. */
export type GuestEnd =
  /** A normal power-off (exit status 0). */
  | { readonly kind: 'poweroff' }
  /** The guest died: the Host's reason, a device's (malformed vring) or a panic's `CRASH:` text. */
  | { readonly kind: 'dead'; readonly reason: string }
  /** `SHUTDOWN(…, 2)`: boot again. */
  | { readonly kind: 'restart' }
  /** The Launcher stopped it (three Ctrl-C, a signal). */
  | { readonly kind: 'stopped'; readonly reason: string };

/** Options for {@link runGuest}. */
export interface RunLoopOptions {
  /** Why the file was closed from outside, if it was (read when a read ends with EINTR). */
  readonly stopReason?: () => string | undefined;
  /** `--verbose`: one line per NOTIFY and what it was. */
  readonly trace?: (line: string) => void;
}

/**
 * Runs the guest behind `file` until it ends. `killer` is the devices' kill switch (the transport's):
 * a device that kills the guest closes the file, and the loop reports the device's reason.
 */
export async function runGuest(
  file: LguestFile,
  bus: LguestBus,
  killer: GuestKiller,
  options: RunLoopOptions = {},
): Promise<GuestEnd> {
  const trace = options.trace;
  for (;;) {
    let value: number | string;
    try {
      value = await file.read();
    } catch (error) {
      if (!(error instanceof LguestError)) throw error;
      if (killer.dead) return { kind: 'dead', reason: killer.reason ?? 'killed' };
      if (error.errno === ERESTART) return { kind: 'restart' };
      if (error.errno === EINTR || error.errno === EBADF) {
        return { kind: 'stopped', reason: options.stopReason?.() ?? 'stopped' };
      }
      return { kind: 'dead', reason: `the Host's file failed: ${error.message}` };
    }
    if (typeof value === 'string') {
      return value === POWER_DOWN_REASON ? { kind: 'poweroff' } : { kind: 'dead', reason: value };
    }
    const outcome = bus.notify(value);
    trace?.(`notify ${hex(value)}: ${outcome}`);
    if (killer.dead) {
      file.close();
      return { kind: 'dead', reason: killer.reason ?? 'killed' };
    }
  }
}

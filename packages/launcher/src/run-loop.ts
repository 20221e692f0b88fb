/**
 * The Launcher's main loop (spec §10.1 step 3) on top of the Host's `/dev/lguest` file: read until the
 * guest has something for us, route each NOTIFY value to the bus (a descriptor's status, a vring's
 * kick, or an early-console string, §9.6), and end when the guest dies, asks for a restart, or the
 * Launcher closes the file (three Ctrl-C, a signal, a device that killed the guest). `main` calls
 * {@link runGuest} once per boot.
 *
 * As the reference Launcher did with an eventfd per started queue (§10.2), every vring's address is
 * registered with `LHREQ_EVENTFD` first: a kick is then serviced in this thread while the vCPU keeps
 * running (a guest that halts for its completion sleeps until the device's `LHREQ_IRQ` wakes it), and
 * `read()` only ends for status changes, early-console strings, kicks of a queue the guest spins on
 * (the console's transmit) and the end of the guest. The Host
 * hands the kicks over in the guest's order, before the read that follows them, so the devices see
 * exactly the sequence of NOTIFYs they saw when every kick ended a read.
 */
import { EINTR, ERESTART, type GuestKiller, LHREQ_EVENTFD } from '@lguest/abi';
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
  /**
   * Register the vrings with `LHREQ_EVENTFD` so kicks are serviced while the guest runs (default
   * true). With false every kick ends a `read()`, as with a single-threaded Launcher.
   */
  readonly eventfds?: boolean;
}

/**
 * `LHREQ_EVENTFD` for every queue on the bus the guest does not spin on (`QueueSpec.guestSpins`), all
 * to one notifier that routes the value to the bus as the read loop would. Refused registrations (the
 * file not initialized yet, already closed or dead) leave those kicks to `read()`.
 */
function registerQueues(
  file: LguestFile,
  bus: LguestBus,
  killer: GuestKiller,
  trace: ((line: string) => void) | undefined,
): void {
  let id: number;
  try {
    id = file.registerNotify((value) => {
      const outcome = bus.notify(value);
      trace?.(`notify ${hex(value)}: ${outcome}`);
      // The device killed the guest: closing ends the pending read, and the loop reports the reason.
      if (killer.dead) file.close();
    });
    for (const placed of bus.devices) {
      placed.queues.forEach((queue, i) => {
        // A guest spinning on this queue cannot run on meanwhile: its kick ends the read instead, and
        // the stopped vCPU leaves the CPU to this thread (the console's transmit, §13).
        if (placed.device.queues[i]?.guestSpins !== true) file.write([LHREQ_EVENTFD, queue.gpa, id]);
      });
    }
  } catch (error) {
    if (!(error instanceof LguestError)) throw error;
  }
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
  if (options.eventfds !== false) registerQueues(file, bus, killer, trace);
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

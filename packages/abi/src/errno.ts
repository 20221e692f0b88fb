/**
 * errno values the Launcher sees from the Host's `/dev/lguest` file (spec Appendix B, §2).
 *
 * They are Linux i386's numbers; the Host's file reports failures with them and the Launcher
 * branches on them (`ENOENT`: read the death reason; `ERESTART`: re-exec for a reboot).
 */

/** Operation not permitted: `read()` by a task that is not the CPU's owner (§2.3). */
export const EPERM = 1;
/** No such entry: the guest is dead (§2.2, §2.3). */
export const ENOENT = 2;
/** Interrupted system call: a signal arrived while the guest ran (§2.3). */
export const EINTR = 4;
/** Try again: the legacy break state (§2.5). */
export const EAGAIN = 11;
/** Out of memory (§2.2). */
export const ENOMEM = 12;
/** Bad address: a request or argument word could not be read (§2.2). */
export const EFAULT = 14;
/** Busy: a second `LHREQ_INITIALIZE` on the same file (§2.2). */
export const EBUSY = 16;
/** Invalid argument: unknown request, bad CPU, request before INITIALIZE, IRQ ≥ 32 (§2.2). */
export const EINVAL = 22;
/** Restart: the guest asked to reboot; the Launcher re-executes itself (§2.3, §3.2). */
export const ERESTART = 85;

/** Every errno of Appendix B by name, for messages and exhaustive tests. */
export const LGUEST_ERRNOS = {
  EPERM,
  ENOENT,
  EINTR,
  EAGAIN,
  ENOMEM,
  EFAULT,
  EBUSY,
  EINVAL,
  ERESTART,
} as const;

/** The name of an Appendix B errno value (`'EINVAL'` for 22), or `undefined` for any other number. */
export function errnoName(errno: number): keyof typeof LGUEST_ERRNOS | undefined {
  for (const name of Object.keys(LGUEST_ERRNOS) as (keyof typeof LGUEST_ERRNOS)[]) {
    if (LGUEST_ERRNOS[name] === errno) return name;
  }
  return undefined;
}

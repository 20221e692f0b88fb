/**
 * `/dev/lguest` requests: the words the Launcher writes to the Host's file (spec §2.1, §2.2).
 *
 * A request is one `write()`: the first 32-bit word is the request number, the rest are argument
 * words. The Host's file implementation decodes them; the Launcher encodes them. The file offset
 * selects the virtual CPU, and only CPU 0 exists.
 */

/** Set up the guest: arguments base, pfnlimit, start (§2.1). */
export const LHREQ_INITIALIZE = 0;
/** Obsolete since 2.6.24; always `EINVAL` (§2.1). */
export const LHREQ_GETDMA = 1;
/** Raise virtual IRQ line `irq` (< `LGUEST_IRQS`) in the guest (§2.1). */
export const LHREQ_IRQ = 2;
/** Legacy (≤ 2.6.31) break-out request; a profile-M host answers `EINVAL` (§2.1, §2.5). */
export const LHREQ_BREAK = 3;
/** Map NOTIFY value `address` to an eventfd (§2.1, §2.2). */
export const LHREQ_EVENTFD = 4;
/** 4.1+ (profile P) only: read a guest register; a profile-M host rejects it with `EINVAL` (§2.1, §12). */
export const LHREQ_GETREG = 5;
/** 4.1+ (profile P) only: write a guest register; `EINVAL` in profile M (§2.1, §12). */
export const LHREQ_SETREG = 6;
/** 4.1+ (profile P) only: deliver a trap to the guest; `EINVAL` in profile M (§2.1, §12). */
export const LHREQ_TRAP = 7;

/** Bytes per request or argument word (§2). */
export const LHREQ_WORD_SIZE = 4;
/** Argument words of `LHREQ_INITIALIZE` in profile M: base, pfnlimit, start (§0, §2.1). */
export const LHREQ_INITIALIZE_ARGS = 3;
/** What a successful `LHREQ_INITIALIZE` returns: the bytes of arguments consumed (§2.1). */
export const LHREQ_INITIALIZE_RESULT = LHREQ_INITIALIZE_ARGS * LHREQ_WORD_SIZE;
/** Bytes `read()` returns for a pending notification: one 4-byte word (§2.3 step 3.2). */
export const LHREQ_NOTIFY_READ_SIZE = 4;
/** The only virtual CPU (file offset) a profile-M host accepts (§2). */
export const LGUEST_ONLY_CPU = 0;

/**
 * The key constants of the lguest ABI, profile M (spec §0, "Key constants").
 *
 * These are the numbers the guest kernel, the Host and the Launcher agree on without ever
 * exchanging them: the hypercall vector, the ring the guest kernel runs in, how many virtual
 * interrupt lines exist, the Launcher's device-page reservation. Everything that needs one of them
 * (the Host, the Switcher, the devices, the Launcher) imports it from here.
 */

/** The hypercall trap vector: the guest's `int $0x1F` (§0, §3.1). */
export const LGUEST_TRAP_ENTRY = 0x1f;
/** The ring (CPL) the guest kernel runs in (§0, §5.1). */
export const GUEST_PL = 1;
/** Virtual IRQ lines; `blocked_interrupts` and the pending set are one 32-bit word (§0, §6.1). */
export const LGUEST_IRQS = 32;
/** IRQ n is delivered at guest vector `FIRST_EXTERNAL_VECTOR + n` (§0, §6.1). */
export const FIRST_EXTERNAL_VECTOR = 0x20;
/** The guest's default system-call vector; `lguest_data.syscall_vec` must hold it (§0, §3.5). */
export const SYSCALL_VECTOR = 0x80;
/** Entries in the asynchronous hypercall ring of `lguest_data` (§0, §3.3). */
export const LHCALL_RING_SIZE = 64;
/** Alignment of the used ring inside a vring (§0, §9.4). */
export const LGUEST_VRING_ALIGN = 4096;
/** `SHUTDOWN` reason code: power off (§0, §3.2). */
export const LGUEST_SHUTDOWN_POWEROFF = 1;
/** `SHUTDOWN` reason code: restart; the death record becomes `ERESTART` (§0, §3.2). */
export const LGUEST_SHUTDOWN_RESTART = 2;
/** Bytes the Host reads from the `SHUTDOWN` message; byte 127 is forced to NUL (§1 item 4, §3.2). */
export const LGUEST_SHUTDOWN_MESSAGE_SIZE = 128;
/** `boot_params.hdr.hardware_subarch` value that sends the guest to `lguest_entry` (§0, §8.1). */
export const X86_SUBARCH_LGUEST = 1;
/** Pages the Launcher reserves above RAM for the device page and the vrings (§0, §10.1). */
export const DEVICE_PAGES = 256;
/** Entries per virtqueue in the reference Launcher (§0, §10.1). */
export const VIRTQUEUE_NUM = 256;
/** Smallest clock-event delta, in nanoseconds, the guest ever requests (§0, §6.7). */
export const LG_CLOCK_MIN_DELTA = 100;
/** Largest clock-event delta, in nanoseconds, of the guest's one-shot clock device (§6.7). */
export const LG_CLOCK_MAX_DELTA = 0xffff_ffff;
/** The guest's kernel stack size in bytes (§0). */
export const GUEST_THREAD_SIZE = 8192;
/** Most pages `SET_STACK` may pin: `GUEST_THREAD_SIZE / 4096` (§0, §3.2). */
export const LGUEST_STACK_PAGES = 2;

/**
 * The run channel: how the `/dev/lguest` file (`lguest-file.ts`, the Launcher's thread) and the vCPU
 * thread (`vcpu-worker.ts`) hand `read()` requests, their results and eventfd notifications to each
 * other without messages. It is an `Int32Array` over a `SharedArrayBuffer`. The file asks for a run
 * by bumping `CHANNEL_RUN`, which the idle vCPU thread sleeps on in `Atomics.wait`; the vCPU thread
 * answers by writing the result words, or by pushing a NOTIFY for a registered notifier on the ring,
 * and rings `CHANNEL_DOORBELL`, which the file awaits with `Atomics.waitAsync`. Every hop is one
 * futex wake and nothing polls: a `postMessage` costs a structured clone and a trip through both
 * event loops, and the cross-thread wake-up is the dominant cost of a kick or an IRQ (README).
 *
 * The notify ring is what makes `LHREQ_EVENTFD` cheap for callbacks in the file's thread: the vCPU
 * thread records `(notifier id, value)` in order and keeps running the guest; the file calls the
 * callbacks, in the order the guest sent them, before it settles the `read()` that follows them.
 */

/** Run requests: the file increments it; the idle vCPU thread waits on it. */
export const CHANNEL_RUN = 0;
/** Bumped by the vCPU thread after a result or a ring push; the file waits on it. */
export const CHANNEL_DOORBELL = 1;
/** Results published: the vCPU thread increments it after writing `CHANNEL_KIND` and `CHANNEL_VALUE`. */
export const CHANNEL_RESULT = 2;
/** The kind of the last result (`RESULT_*`). */
export const CHANNEL_KIND = 3;
/** The NOTIFY value of the last result (`RESULT_NOTIFY`). */
export const CHANNEL_VALUE = 4;
/** Non-zero once the file is closed: the vCPU thread ends. */
export const CHANNEL_CLOSED = 5;
/** Ring entries pushed so far by the vCPU thread (wrapping 32-bit counter). */
export const CHANNEL_RING_HEAD = 6;
/** Ring entries consumed so far by the file; a vCPU thread with a full ring waits on it. */
export const CHANNEL_RING_TAIL = 7;
/** First word of the ring: `RING_ENTRIES` pairs of (notifier id, NOTIFY value). */
export const CHANNEL_RING = 8;
/** Entries in the notify ring (a power of two). A guest kicking faster than the file drains waits. */
export const RING_ENTRIES = 256;
/** Words in the channel. */
export const CHANNEL_WORDS = CHANNEL_RING + 2 * RING_ENTRIES;

/** Result kinds in `CHANNEL_KIND`. */
export const RESULT_NOTIFY = 1;
export const RESULT_DEAD = 2;
export const RESULT_RESTART = 3;
export const RESULT_STOP = 4;

/** `Atomics.waitAsync` (Node 16 and later; typed here because the project's `lib` predates ES2024). */
export const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
    ):
      | { async: false; value: 'not-equal' | 'timed-out' }
      | { async: true; value: Promise<'ok' | 'timed-out'> };
  }
).waitAsync;

/** A fresh run channel over shared memory. */
export function createRunChannel(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CHANNEL_WORDS * 4));
}

/** Wakes the file's thread (vCPU side). */
export function ringDoorbell(channel: Int32Array): void {
  Atomics.add(channel, CHANNEL_DOORBELL, 1);
  Atomics.notify(channel, CHANNEL_DOORBELL);
}

/**
 * vCPU side: appends `(id, value)` to the notify ring and rings the doorbell. With the ring full it
 * sleeps until the file drains it (or closes). Returns false when the file is closed.
 */
export function pushNotify(channel: Int32Array, id: number, value: number): boolean {
  const head = Atomics.load(channel, CHANNEL_RING_HEAD);
  for (;;) {
    if (Atomics.load(channel, CHANNEL_CLOSED) !== 0) return false;
    const tail = Atomics.load(channel, CHANNEL_RING_TAIL);
    if (((head - tail) | 0) < RING_ENTRIES) break;
    Atomics.wait(channel, CHANNEL_RING_TAIL, tail);
  }
  const slot = CHANNEL_RING + 2 * (head & (RING_ENTRIES - 1));
  channel[slot] = id;
  channel[slot + 1] = value | 0;
  // The seq-cst store publishes the entry before the head moves past it.
  Atomics.store(channel, CHANNEL_RING_HEAD, (head + 1) | 0);
  ringDoorbell(channel);
  return true;
}

/** File side: hands every pushed entry, in order, to `deliver` and frees the ring. Returns the count. */
export function drainNotifies(channel: Int32Array, deliver: (id: number, value: number) => void): number {
  let tail = Atomics.load(channel, CHANNEL_RING_TAIL);
  const head = Atomics.load(channel, CHANNEL_RING_HEAD);
  let count = 0;
  while (tail !== head) {
    const slot = CHANNEL_RING + 2 * (tail & (RING_ENTRIES - 1));
    const id = channel[slot];
    const value = channel[slot + 1] >>> 0;
    tail = (tail + 1) | 0;
    Atomics.store(channel, CHANNEL_RING_TAIL, tail);
    count++;
    deliver(id, value);
  }
  if (count > 0) Atomics.notify(channel, CHANNEL_RING_TAIL);
  return count;
}

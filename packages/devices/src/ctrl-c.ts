/**
 * The console's emergency stop (spec §10.4): with the terminal in raw mode, Ctrl-C reaches the guest
 * as input, so the Launcher watches for three in a row to stop itself. A read that returns exactly
 * the one byte 0x03 counts; the third consecutive one stops the launcher if it came within the same
 * or the next second as the first; any other input starts the count again. The Launcher feeds every
 * chunk it reads from the terminal through {@link CtrlCDetector.feed} before handing it to the console.
 */

const CTRL_C = 0x03;

/** Counts consecutive lone Ctrl-C reads. */
export class CtrlCDetector {
  #count = 0;
  #firstSecond = 0;

  /** Feeds one chunk read from the terminal at `nowMs`; true when it is the third Ctrl-C in time. */
  feed(chunk: Uint8Array, nowMs: number = Date.now()): boolean {
    if (chunk.length !== 1 || chunk[0] !== CTRL_C) {
      this.#count = 0;
      return false;
    }
    const second = Math.floor(nowMs / 1000);
    if (this.#count === 0) this.#firstSecond = second;
    this.#count++;
    if (this.#count < 3) return false;
    this.#count = 0;
    return second <= this.#firstSecond + 1;
  }
}

/**
 * The Launcher's terminal (spec §10.4): when stdin is a TTY it goes into raw mode for the guest
 * (no line editing, no echo, Ctrl-C as input) and is put back on every way out — a normal end, the
 * guest's death, a signal, an uncaught error, `process.exit`. `main` opens one for the whole run and
 * closes it before returning; {@link Terminal.restore} is idempotent.
 */
import type { Readable } from 'node:stream';

/** What the Launcher reads console input from (`process.stdin`, or a stream in tests). */
export type TerminalInput = Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/** Raw mode on a TTY input, restored exactly once. */
export class Terminal {
  readonly input: TerminalInput;
  #raw = false;

  constructor(input: TerminalInput) {
    this.input = input;
  }

  /** True while this terminal is in raw mode. */
  get raw(): boolean {
    return this.#raw;
  }

  /** Raw mode, if the input is a TTY. */
  enterRaw(): void {
    if (this.#raw || this.input.isTTY !== true || typeof this.input.setRawMode !== 'function') return;
    this.input.setRawMode(true);
    this.#raw = true;
  }

  /** Back to the mode the terminal had (safe to call at any time, any number of times). */
  restore(): void {
    if (!this.#raw) return;
    this.#raw = false;
    try {
      this.input.setRawMode?.(false);
    } catch {
      // The terminal went away (hang-up): there is nothing left to restore.
    }
  }
}

/**
 * The Launcher's side of console input (spec §10.4): every chunk read from stdin first goes through
 * the triple-Ctrl-C rule (with the terminal raw, Ctrl-C is input, not a signal), then to the console
 * device, which hands it to the guest and raises the receive interrupt at once — waking a halted vCPU
 * through the Host's control block. The clock is injectable so the one-second rule can be tested.
 */
import { CtrlCDetector } from '@lguest/devices';

/** Where input goes. */
export interface ConsoleInputTarget {
  input(bytes: Uint8Array): void;
  endInput(): void;
}

/** Options for {@link ConsoleInput}. */
export interface ConsoleInputOptions {
  /** Called on the third lone Ctrl-C within about a second. */
  readonly onTripleCtrlC: () => void;
  /** Milliseconds since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/** Routes terminal input to the current console device. */
export class ConsoleInput {
  readonly #detector = new CtrlCDetector();
  readonly #options: ConsoleInputOptions;
  #target: ConsoleInputTarget | undefined;
  #ended = false;

  constructor(options: ConsoleInputOptions) {
    this.#options = options;
  }

  /** The console input goes to from now on (a new one after a restart). */
  attach(target: ConsoleInputTarget | undefined): void {
    this.#target = target;
    if (this.#ended) target?.endInput();
  }

  /** True once stdin ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** One chunk read from the terminal. */
  feed(chunk: Uint8Array): void {
    if (this.#detector.feed(chunk, (this.#options.now ?? Date.now)())) {
      this.#options.onTripleCtrlC();
      return;
    }
    this.#target?.input(chunk);
  }

  /** stdin ended (EOF or an error): the guest gets no more input, and keeps running. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#target?.endInput();
  }
}

/**
 * The virtio console (spec §9.5 "Console", §10.4): always present, two queues, no features.
 *
 * Queue 0 (receive) carries input to the guest: the guest posts one-page writable buffers and the
 * device fills one per chunk of input as it arrives, completing it with the byte count and raising
 * the queue's interrupt at once. Input comes from {@link ConsoleDevice.input} (injection) or a Node
 * `Readable` the device listens to; input that arrives before the guest posted buffers waits, in
 * order (the stream is paused while much is waiting). Queue 1 (transmit) carries output: the guest
 * kicks and then spins with interrupts off until its buffer shows up in the used ring, so a transmit
 * kick is serviced synchronously — each buffer copied to the output sink in order and completed with
 * length 0. Terminal handling (raw mode, Ctrl-C) belongs to the Launcher; see `CtrlCDetector`.
 */
import type { Readable } from 'node:stream';
import {
  LAUNCHER_CONSOLE_CONFIG_LEN,
  VIRTIO_CONSOLE_RX_QUEUE,
  VIRTIO_CONSOLE_TX_QUEUE,
  VIRTIO_ID_CONSOLE,
  VIRTQUEUE_NUM,
} from '@lguest/abi';
import type { DescriptorChain } from './chain.js';
import type { DeviceBinding, QueueSpec, VirtioDevice } from './device.js';
import type { Virtqueue } from './virtqueue.js';

/** Where guest output goes: a function, or anything with `write(chunk)` (e.g. `process.stdout`). The chunk is the sink's to keep. */
export type ConsoleOutput = ((chunk: Uint8Array) => void) | { write(chunk: Uint8Array): unknown };

/** Options for {@link ConsoleDevice}. */
export interface ConsoleOptions {
  /** Receives the guest's output, in order. */
  readonly output: ConsoleOutput;
  /** A stream to read input from (e.g. `process.stdin`); its end ends console input. */
  readonly input?: Readable;
  /** Called once when input ends (the stream ended or failed, or {@link ConsoleDevice.endInput}). */
  readonly onInputEnd?: () => void;
  /** Entries per queue (default `VIRTQUEUE_NUM`, 256). */
  readonly queueSize?: number;
}

/** Waiting input above this many bytes pauses the input stream until the guest takes some. */
const PAUSE_ABOVE = 64 * 1024;

/** The virtio console device. */
export class ConsoleDevice implements VirtioDevice {
  readonly name = 'console';
  readonly type = VIRTIO_ID_CONSOLE;
  readonly features = 0;
  readonly featureLen = 0;
  readonly config = new Uint8Array(LAUNCHER_CONSOLE_CONFIG_LEN);
  readonly queues: readonly QueueSpec[];

  readonly #write: (chunk: Uint8Array) => void;
  readonly #stream: Readable | undefined;
  readonly #onInputEnd: (() => void) | undefined;
  #binding: DeviceBinding | undefined;
  #rx: Virtqueue | undefined;
  #tx: Virtqueue | undefined;
  readonly #waiting: Uint8Array[] = [];
  #waitingOffset = 0;
  #waitingBytes = 0;
  #ended = false;
  #paused = false;
  readonly #transmitOne = (chain: DescriptorChain) => this.#transmit(chain);
  readonly #onData = (chunk: Buffer | string) => {
    this.#accept(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  };
  readonly #onEnd = () => this.endInput();

  constructor(options: ConsoleOptions) {
    const num = options.queueSize ?? VIRTQUEUE_NUM;
    this.queues = [
      { name: 'rx', num },
      // Linux's hvc (and the project's guests) spin on the used ring until each transmit is done.
      { name: 'tx', num, guestSpins: true },
    ];
    const output = options.output;
    this.#write = typeof output === 'function' ? output : (chunk) => void output.write(chunk);
    this.#onInputEnd = options.onInputEnd;
    this.#stream = options.input;
    if (this.#stream) {
      this.#stream.on('data', this.#onData);
      this.#stream.on('end', this.#onEnd);
      this.#stream.on('error', this.#onEnd);
    }
  }

  /** True once input has ended; later input is ignored. */
  get inputEnded(): boolean {
    return this.#ended;
  }

  /** Bytes of input waiting for the guest to post receive buffers. */
  get waitingInput(): number {
    return this.#waitingBytes;
  }

  /** Feeds `bytes` to the guest as console input (copied; delivered in order). Ignored after the input ended. */
  input(bytes: Uint8Array): void {
    this.#accept(bytes.slice());
  }

  /** Ends console input (EOF): nothing more is read; what is waiting is still delivered. */
  endInput(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#detach();
    this.#onInputEnd?.();
  }

  attach(binding: DeviceBinding): void {
    this.#binding = binding;
    this.#rx = binding.queues[VIRTIO_CONSOLE_RX_QUEUE];
    this.#tx = binding.queues[VIRTIO_CONSOLE_TX_QUEUE];
  }

  start(): void {
    this.#deliver();
  }

  kick(queue: number): void {
    if (queue === VIRTIO_CONSOLE_RX_QUEUE) this.#deliver();
    else if (queue === VIRTIO_CONSOLE_TX_QUEUE) this.#tx?.service(this.#transmitOne);
  }

  reset(): void {
    // Waiting input is the user's typing, not device state: it goes to the next driver.
  }

  close(): void {
    this.#detach();
  }

  #detach(): void {
    const stream = this.#stream;
    if (!stream) return;
    stream.off('data', this.#onData);
    stream.off('end', this.#onEnd);
    stream.off('error', this.#onEnd);
    if (this.#paused) {
      this.#paused = false;
      stream.resume();
    }
  }

  #accept(chunk: Uint8Array): void {
    if (this.#ended || this.#binding?.killer.dead || chunk.length === 0) return;
    this.#waiting.push(chunk);
    this.#waitingBytes += chunk.length;
    this.#deliver();
    if (this.#waitingBytes > PAUSE_ABOVE && this.#stream && !this.#paused) {
      this.#paused = true;
      this.#stream.pause();
    }
  }

  /** Fills receive buffers with waiting input, one chain at a time, and interrupts at once. */
  #deliver(): void {
    const rx = this.#rx;
    if (rx === undefined) return;
    let delivered = false;
    while (this.#waitingBytes > 0) {
      const chain = rx.pop();
      if (chain === undefined) break;
      let written = 0;
      while (this.#waitingBytes > 0 && written < chain.inBytes) {
        const chunk = this.#waiting[0];
        const n = chain.scatter(written, chunk.subarray(this.#waitingOffset));
        written += n;
        this.#waitingOffset += n;
        this.#waitingBytes -= n;
        if (this.#waitingOffset === chunk.length) {
          this.#waiting.shift();
          this.#waitingOffset = 0;
        }
      }
      rx.push(chain.head, written);
      delivered = true;
    }
    if (delivered) rx.interrupt();
    if (this.#paused && this.#waitingBytes <= PAUSE_ABOVE / 2 && this.#stream) {
      this.#paused = false;
      this.#stream.resume();
    }
  }

  /** Copies one transmit chain's readable buffers to the output, in order, and completes it. */
  #transmit(chain: DescriptorChain): void {
    const bytes = chain.memory.bytes;
    for (let i = 0; i < chain.outCount; i++) {
      const len = chain.len[i];
      if (len === 0) continue;
      const start = chain.addr[i];
      this.#write(bytes.slice(start, start + len));
    }
    this.#tx?.push(chain.head, 0);
  }
}

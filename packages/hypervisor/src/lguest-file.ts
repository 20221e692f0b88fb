/**
 * The `/dev/lguest` file (spec §2): what the Launcher opens, writes requests to and reads from. The
 * vCPU runs in a `worker_thread` (`vcpu-worker.ts`) started by `LHREQ_INITIALIZE`; this side lives
 * in the caller's thread (the Launcher's main thread) and never blocks it. `write()` is synchronous
 * and mirrors the C request words; `read()` asks the worker to run the guest and resolves with the
 * NOTIFY value or the death reason, or rejects with an {@link LguestError} carrying the spec's errno.
 * IRQs, the legacy break (§2.5) and close reach a running or halted vCPU through the shared control
 * block, so they act at once even while the worker is busy in the guest.
 *
 * `read()` requests and results travel through the shared run channel (`run-channel.ts`): the file
 * bumps a word the idle vCPU thread sleeps on, and awaits the vCPU thread's doorbell with
 * `Atomics.waitAsync` — no message, no structured clone, one futex wake each way.
 *
 * `LHREQ_EVENTFD`'s second word names a notifier registered with {@link LguestFile.registerNotify}
 * (a callback in this thread, or a `MessagePort` another thread listens on) instead of an eventfd.
 * A NOTIFY for a callback goes on the channel's ring while the guest keeps running; the callbacks
 * run in the guest's order, and always before the `read()` that follows them settles.
 */
import { existsSync } from 'node:fs';
import {
  MessageChannel,
  type MessagePort,
  type ResourceLimits,
  receiveMessageOnPort,
  Worker,
} from 'node:worker_threads';
import {
  EAGAIN,
  EBUSY,
  EFAULT,
  EINTR,
  EINVAL,
  ENOENT,
  ENOMEM,
  EPERM,
  ERESTART,
  type GuestMemory,
  LGUEST_IRQS,
  LHREQ_BREAK,
  LHREQ_EVENTFD,
  LHREQ_INITIALIZE,
  LHREQ_INITIALIZE_RESULT,
  LHREQ_IRQ,
  PAGE_SIZE,
} from '@lguest/abi';
import { CONTROL_HOLD, createControlBlock, HOLD_BREAK, HOLD_CLOSE, raiseIrq, setHold } from './control.js';
import {
  CHANNEL_CLOSED,
  CHANNEL_DOORBELL,
  CHANNEL_KIND,
  CHANNEL_RESULT,
  CHANNEL_RING_TAIL,
  CHANNEL_RUN,
  CHANNEL_VALUE,
  createRunChannel,
  drainNotifies,
  RESULT_DEAD,
  RESULT_NOTIFY,
  RESULT_RESTART,
  waitAsync,
} from './run-channel.js';
import type { TraceHook } from './trace.js';
import type { ReplyMessage, SetupMessage, VcpuWorkerData } from './vcpu-worker.js';

/** `EBADF`: the file was closed, or `LHREQ_EVENTFD` named no registered notifier. */
export const EBADF = 9;

const ERRNO_NAMES: Readonly<Record<number, string>> = {
  [EPERM]: 'EPERM',
  [ENOENT]: 'ENOENT',
  [EINTR]: 'EINTR',
  [EBADF]: 'EBADF',
  [EAGAIN]: 'EAGAIN',
  [ENOMEM]: 'ENOMEM',
  [EFAULT]: 'EFAULT',
  [EBUSY]: 'EBUSY',
  [EINVAL]: 'EINVAL',
  [ERESTART]: 'ERESTART',
};

/** A failed request on the file: `errno` is the spec's number (Appendix B), `code` its name. */
export class LguestError extends Error {
  readonly errno: number;
  readonly code: string;
  constructor(errno: number, message: string) {
    const code = ERRNO_NAMES[errno] ?? `E${errno}`;
    super(`${code}: ${message}`);
    this.name = 'LguestError';
    this.errno = errno;
    this.code = code;
  }
}

/** Options for {@link openLguest}. */
export interface LguestFileOptions {
  /** The guest's memory, over a `SharedArrayBuffer`; `LHREQ_INITIALIZE`'s `base` is a byte offset in its buffer. */
  memory: GuestMemory;
  /** Receives the Host's trace events (hypercalls, traps, interrupts, kills) from the vCPU thread. */
  trace?: TraceHook;
  /** Heap limits of the vCPU thread; running out ends the guest with `ENOMEM`. */
  resourceLimits?: ResourceLimits;
}

/** What a typed {@link LguestFile.run} ended with. */
export type FileRunResult =
  | { kind: 'notify'; value: number }
  | { kind: 'dead'; reason: string }
  | { kind: 'restart' }
  /** `EAGAIN`: a break (§2.5) is in force. */
  | { kind: 'break' };

/** A notifier for `LHREQ_EVENTFD`: a callback in this thread, or a port that receives each value. */
export type NotifyTarget = ((value: number) => void) | MessagePort;

interface PendingRead {
  resolve(value: number | string): void;
  reject(error: LguestError): void;
}

/** @internal The state one open file shares between its handles. */
export class FileState {
  readonly memory: GuestMemory;
  readonly control = createControlBlock();
  /** The run channel shared with the vCPU thread (`run-channel.ts`). */
  readonly channel = createRunChannel();
  readonly options: LguestFileOptions;
  owner: LguestFile | undefined;
  worker: Worker | undefined;
  setup: MessageChannel | undefined;
  /** Trace events and death reasons from the vCPU thread. */
  reply: MessageChannel | undefined;
  reading: PendingRead | undefined;
  /** True while a doorbell wait is armed or being serviced. */
  listening = false;
  /** `CHANNEL_RESULT` as last consumed. */
  resultSeen = 0;
  /** The death reason the vCPU thread sent ahead of its `dead` result. */
  reason: string | undefined;
  /** The death record as the Launcher reads it: a reason string or an errno. */
  deathReason: string | undefined;
  deathErrno = 0;
  closed = false;
  breakWaiters: (() => void)[] = [];
  readonly notifiers = new Map<number, NotifyTarget>();
  nextNotifier = 1;

  constructor(options: LguestFileOptions) {
    this.memory = options.memory;
    this.options = options;
  }

  get dead(): boolean {
    return this.deathReason !== undefined || this.deathErrno !== 0;
  }

  get breakHeld(): boolean {
    return (Atomics.load(this.control, CONTROL_HOLD) & HOLD_BREAK) !== 0;
  }
}

/** The built worker: next to this module in `dist`, or the package's `dist` when running from sources. */
function workerUrl(): URL {
  const here = new URL('./vcpu-worker.js', import.meta.url);
  if (existsSync(here)) return here;
  return new URL('../dist/vcpu-worker.js', import.meta.url);
}

function readWord(words: ArrayLike<number>, index: number, what: string): number {
  if (index >= words.length) throw new LguestError(EFAULT, `${what} is missing`);
  const word = words[index];
  if (typeof word !== 'number' || !Number.isInteger(word) || word < -0x8000_0000 || word > 0xffff_ffff) {
    throw new LguestError(EFAULT, `${what} is not a 32-bit word`);
  }
  return word >>> 0;
}

/**
 * One handle on an open `/dev/lguest` file. The raw interface is {@link LguestFile.write} and
 * {@link LguestFile.read}; {@link LguestFile.initialize}, {@link LguestFile.irq} and
 * {@link LguestFile.run} are the typed wrapper over them.
 */
export class LguestFile {
  readonly #state: FileState;

  /** @internal Use {@link openLguest}. */
  constructor(state: FileState) {
    this.#state = state;
  }

  /** Another handle on the same file (another task holding the fd): it may write, but only the handle that INITIALIZEd may read. */
  share(): LguestFile {
    return new LguestFile(this.#state);
  }

  /** The shared control block of the vCPU (for threads that raise IRQs with `raiseIrq`). */
  get control(): Int32Array {
    return this.#state.control;
  }

  /** True once the guest died (or asked for a restart, or its thread failed). */
  get dead(): boolean {
    return this.#state.dead;
  }

  /**
   * Registers a notifier for `LHREQ_EVENTFD` and returns its id (the request's second word). A
   * callback runs in this thread; a port receives each NOTIFY value as a message.
   */
  registerNotify(target: NotifyTarget): number {
    const state = this.#state;
    if (state.closed) throw new LguestError(EBADF, 'the file is closed');
    const id = state.nextNotifier++;
    state.notifiers.set(id, target);
    if (state.setup !== undefined) this.#sendNotifier(id, target);
    return id;
  }

  /**
   * The raw `write()` (§2.2): `words[0]` is the request, the rest its arguments; `cpu` is the file
   * offset. Returns 12 for `LHREQ_INITIALIZE`, 0 otherwise, and for `LHREQ_BREAK(1)` a Promise that
   * settles (with 0) when someone writes `LHREQ_BREAK(0)`. Throws {@link LguestError}.
   */
  write(words: ArrayLike<number>, cpu = 0): number | Promise<number> {
    const state = this.#state;
    if (state.closed) throw new LguestError(EBADF, 'the file is closed');
    const request = readWord(words, 0, 'the request word');
    if (request === LHREQ_INITIALIZE) return this.#initialize(words);
    if (state.worker === undefined) throw new LguestError(EINVAL, 'the guest is not initialized');
    if (cpu !== 0) throw new LguestError(EINVAL, `there is no CPU ${cpu}`);
    if (state.dead) throw new LguestError(ENOENT, 'the guest is dead');
    switch (request) {
      case LHREQ_IRQ: {
        const irq = readWord(words, 1, 'the IRQ');
        if (irq >= LGUEST_IRQS) throw new LguestError(EINVAL, `IRQ ${irq} is not below ${LGUEST_IRQS}`);
        raiseIrq(state.control, irq);
        return 0;
      }
      case LHREQ_BREAK: {
        const on = readWord(words, 1, 'the break flag');
        if (on === 0) {
          setHold(state.control, HOLD_BREAK, false);
          const waiters = state.breakWaiters;
          state.breakWaiters = [];
          for (const wake of waiters) wake();
          return 0;
        }
        setHold(state.control, HOLD_BREAK, true);
        return new Promise<number>((resolve) => state.breakWaiters.push(() => resolve(0)));
      }
      case LHREQ_EVENTFD: {
        const addr = readWord(words, 1, 'the address');
        const id = readWord(words, 2, 'the notifier');
        if (addr === 0) throw new LguestError(EINVAL, 'address 0 cannot be notified');
        if (!state.notifiers.has(id)) throw new LguestError(EBADF, `no notifier ${id} is registered`);
        this.#sendSetup({ kind: 'eventfd', addr, id });
        return 0;
      }
      default:
        throw new LguestError(EINVAL, `unknown request ${request}`);
    }
  }

  /**
   * The raw `read()` (§2.3): runs the guest on CPU `cpu` until it has something for the Launcher.
   * Resolves with a NOTIFY value (a number) or, once the guest is dead, its reason (a string).
   * Rejects with {@link LguestError}: `EINVAL` (not initialized, bad CPU), `EPERM` (not the handle
   * that initialized), `EBUSY` (a read is already running), `EAGAIN` (a break is in force),
   * `ERESTART` (the guest asked for a restart), `ENOMEM` (its thread ran out of memory), `EINTR`
   * (the file was closed under it), `EBADF` (closed).
   */
  read(cpu = 0): Promise<number | string> {
    const state = this.#state;
    try {
      if (state.closed) throw new LguestError(EBADF, 'the file is closed');
      if (state.worker === undefined) throw new LguestError(EINVAL, 'the guest is not initialized');
      if (cpu !== 0) throw new LguestError(EINVAL, `there is no CPU ${cpu}`);
      if (state.owner !== this)
        throw new LguestError(EPERM, 'only the handle that initialized may run the guest');
      if (state.deathErrno !== 0) throw new LguestError(state.deathErrno, 'the guest is gone');
      if (state.deathReason !== undefined) return Promise.resolve(state.deathReason);
      if (state.reading !== undefined) throw new LguestError(EBUSY, 'the CPU is already running');
      if (state.breakHeld) throw new LguestError(EAGAIN, 'a break is in force');
    } catch (error) {
      return Promise.reject(error);
    }
    const worker = state.worker;
    return new Promise<number | string>((resolve, reject) => {
      state.reading = { resolve, reject };
      worker.ref();
      Atomics.add(state.channel, CHANNEL_RUN, 1);
      Atomics.notify(state.channel, CHANNEL_RUN);
      if (!state.listening) {
        state.listening = true;
        this.#service();
      }
    });
  }

  /** Typed `LHREQ_INITIALIZE(base, pfnLimit, start)`. */
  initialize(base: number, pfnLimit: number, start: number): void {
    this.write([LHREQ_INITIALIZE, base, pfnLimit, start]);
  }

  /** Typed `LHREQ_IRQ(irq)`. */
  irq(irq: number): void {
    this.write([LHREQ_IRQ, irq]);
  }

  /** Typed `read()`: a NOTIFY, the death, a restart, or a break in force; other errors are thrown. */
  async run(): Promise<FileRunResult> {
    try {
      const value = await this.read();
      return typeof value === 'number' ? { kind: 'notify', value } : { kind: 'dead', reason: value };
    } catch (error) {
      if (error instanceof LguestError && error.errno === ERESTART) return { kind: 'restart' };
      if (error instanceof LguestError && error.errno === EAGAIN) return { kind: 'break' };
      throw error;
    }
  }

  /** `close()` (§2.4): stops a running guest, ends its thread and frees everything. Always returns 0. */
  close(): number {
    const state = this.#state;
    if (state.closed) return 0;
    state.closed = true;
    setHold(state.control, HOLD_CLOSE, true);
    // The vCPU thread may sleep between runs or on a full notify ring: both wake and see the close.
    Atomics.store(state.channel, CHANNEL_CLOSED, 1);
    Atomics.notify(state.channel, CHANNEL_RUN);
    Atomics.notify(state.channel, CHANNEL_RING_TAIL);
    // And this thread's own doorbell wait, which no vCPU thread will ring any more.
    Atomics.notify(state.channel, CHANNEL_DOORBELL);
    const reading = state.reading;
    state.reading = undefined;
    reading?.reject(new LguestError(EINTR, 'the file was closed'));
    for (const wake of state.breakWaiters) wake();
    state.breakWaiters = [];
    void state.worker?.terminate();
    state.setup?.port1.close();
    state.reply?.port1.close();
    return 0;
  }

  #sendSetup(message: SetupMessage, transfer: MessagePort[] = []): void {
    this.#state.setup?.port1.postMessage(message, transfer);
  }

  /** Tells the vCPU thread about a notifier: a callback is served through the channel's ring. */
  #sendNotifier(id: number, target: NotifyTarget): void {
    if (typeof target === 'function') this.#sendSetup({ kind: 'local', id });
    else this.#sendSetup({ kind: 'port', id, port: target }, [target]);
  }

  /**
   * Handles what the vCPU thread published (trace events, ring entries, a result), then waits on the
   * doorbell again while a read is pending. The result word is read first: everything the vCPU thread
   * sent before it is then visible, so callbacks and trace events come before the read settles.
   */
  readonly #service = (): void => {
    const state = this.#state;
    const channel = state.channel;
    for (;;) {
      if (state.closed || state.reading === undefined) {
        state.listening = false;
        return;
      }
      const seen = Atomics.load(channel, CHANNEL_DOORBELL);
      const result = Atomics.load(channel, CHANNEL_RESULT);
      this.#drainReplies();
      drainNotifies(channel, this.#deliver);
      if (result !== state.resultSeen) {
        state.resultSeen = result;
        this.#settle(Atomics.load(channel, CHANNEL_KIND), Atomics.load(channel, CHANNEL_VALUE) >>> 0);
        continue;
      }
      const wait = waitAsync(channel, CHANNEL_DOORBELL, seen);
      if (wait.async) {
        void wait.value.then(this.#service);
        return;
      }
    }
  };

  /** A NOTIFY from the ring: the callback registered as `id`. A throwing callback is the caller's bug, reported as uncaught. */
  readonly #deliver = (id: number, value: number): void => {
    const state = this.#state;
    if (state.closed) return;
    const target = state.notifiers.get(id);
    if (typeof target !== 'function') return;
    try {
      target(value);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  };

  #drainReplies(): void {
    const port = this.#state.reply?.port1;
    if (port === undefined) return;
    for (;;) {
      const received = receiveMessageOnPort(port);
      if (received === undefined) return;
      this.#onReply(received.message as ReplyMessage);
    }
  }

  #onReply(message: ReplyMessage): void {
    if (message.type === 'trace') this.#state.options.trace?.(message.event);
    else this.#state.reason = message.reason;
  }

  #initialize(words: ArrayLike<number>): number {
    const state = this.#state;
    if (state.worker !== undefined) throw new LguestError(EBUSY, 'the guest is already initialized');
    const base = readWord(words, 1, 'base');
    const pfnLimit = readWord(words, 2, 'pfnlimit');
    const start = readWord(words, 3, 'start');
    const buffer = state.memory.buffer;
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new LguestError(EINVAL, 'guest memory must be a SharedArrayBuffer to share with the vCPU thread');
    }
    if (base > buffer.byteLength || pfnLimit * PAGE_SIZE > buffer.byteLength - base) {
      throw new LguestError(
        EINVAL,
        `base ${base} + pfnlimit ${pfnLimit} pages is beyond the ${buffer.byteLength}-byte memory`,
      );
    }
    const setup = new MessageChannel();
    const reply = new MessageChannel();
    const data: VcpuWorkerData = {
      buffer,
      base,
      pfnLimit,
      start,
      control: state.control,
      channel: state.channel,
      // Shared write generations let the vCPU's decoded-code cache see device writes from this thread.
      generations:
        base === state.memory.base ? (state.memory.generations.buffer as SharedArrayBuffer) : undefined,
      setup: setup.port2,
      reply: reply.port2,
      trace: state.options.trace !== undefined,
    };
    let worker: Worker;
    try {
      worker = new Worker(workerUrl(), {
        workerData: data,
        transferList: [setup.port2, reply.port2],
        resourceLimits: state.options.resourceLimits,
      });
    } catch (error) {
      setup.port1.close();
      reply.port1.close();
      throw new LguestError(ENOMEM, `cannot start the vCPU thread: ${(error as Error).message}`);
    }
    state.worker = worker;
    state.setup = setup;
    state.reply = reply;
    state.owner = this;
    for (const [id, target] of state.notifiers) this.#sendNotifier(id, target);
    // Trace events as they come; the reason and ordering are also taken synchronously (#service).
    reply.port1.on('message', (message: ReplyMessage) => this.#onReply(message));
    reply.port1.unref();
    worker.unref();
    worker.on('error', (error: Error & { code?: string }) => {
      if (state.dead) return;
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') state.deathErrno = ENOMEM;
      else state.deathReason = `host error: ${error.message}`;
      this.#finishRead();
    });
    worker.on('exit', () => {
      if (!state.closed && !state.dead) state.deathReason = 'host error: the vCPU thread exited';
      this.#finishRead();
    });
    return LHREQ_INITIALIZE_RESULT;
  }

  /** Settles a pending read from the death record (after the worker failed or exited). */
  #finishRead(): void {
    const state = this.#state;
    const reading = state.reading;
    if (reading === undefined) return;
    state.reading = undefined;
    state.worker?.unref();
    if (state.deathErrno !== 0) reading.reject(new LguestError(state.deathErrno, 'the guest is gone'));
    else reading.resolve(state.deathReason ?? 'dead');
  }

  /** Settles the pending read with the vCPU thread's result (`RESULT_*`). */
  #settle(kind: number, value: number): void {
    const state = this.#state;
    const reading = state.reading;
    state.reading = undefined;
    state.worker?.unref();
    if (reading === undefined) return;
    switch (kind) {
      case RESULT_NOTIFY:
        reading.resolve(value);
        return;
      case RESULT_DEAD: {
        const reason = state.reason ?? 'dead';
        state.deathReason = reason;
        reading.resolve(reason);
        return;
      }
      case RESULT_RESTART:
        state.deathErrno = ERESTART;
        reading.reject(new LguestError(ERESTART, 'the guest asked for a restart'));
        return;
      default:
        if (state.breakHeld) reading.reject(new LguestError(EAGAIN, 'a break is in force'));
        else reading.reject(new LguestError(EINTR, 'the run was interrupted'));
    }
  }
}

/** Opens a `/dev/lguest` file over `memory`. Nothing runs until `LHREQ_INITIALIZE`. */
export function openLguest(options: LguestFileOptions): LguestFile {
  return new LguestFile(new FileState(options));
}

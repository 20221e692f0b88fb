/**
 * The vCPU thread behind the `/dev/lguest` file (spec §2): the body of the `worker_thread` that
 * `LHREQ_INITIALIZE` starts. It owns the guest (created here from the INITIALIZE words over the
 * shared guest memory) and runs it for each `read()` the main thread asks for. Requests and results
 * travel through the shared run channel (`run-channel.ts`): between runs this thread sleeps in
 * `Atomics.wait` on the run word, and it answers by writing the result words and ringing the
 * doorbell the file awaits with `Atomics.waitAsync` — one futex wake each way, no message. While it
 * runs, IRQs, the legacy break and close come through the control block (`control.ts`); eventfd
 * registrations are drained from their port synchronously (`receiveMessageOnPort`) whenever the
 * guest sends a NOTIFY, and a NOTIFY for a notifier in the file's thread goes on the channel's ring
 * while the guest keeps running. Trace events and a death reason (a string) go on the reply port.
 *
 * Workers cannot load TypeScript on Node 20, so this file only ever runs from the built `dist`.
 */
import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { GuestMemory } from '@lguest/abi';
import { createGuest } from './guest.js';
import {
  CHANNEL_CLOSED,
  CHANNEL_KIND,
  CHANNEL_RESULT,
  CHANNEL_RUN,
  CHANNEL_VALUE,
  pushNotify,
  RESULT_DEAD,
  RESULT_NOTIFY,
  RESULT_RESTART,
  RESULT_STOP,
  ringDoorbell,
} from './run-channel.js';
import type { TraceEvent } from './trace.js';
import type { RunResult } from './vcpu.js';

/** @internal What the file hands the worker at INITIALIZE. */
export interface VcpuWorkerData {
  buffer: SharedArrayBuffer;
  base: number;
  pfnLimit: number;
  start: number;
  control: Int32Array;
  /** The run channel (`run-channel.ts`). */
  channel: Int32Array;
  generations: SharedArrayBuffer | undefined;
  setup: MessagePort;
  /** Trace events and death reasons, in the order they happen. */
  reply: MessagePort;
  trace: boolean;
}

/** @internal Messages on the setup port: a notifier that is a port, one in the file's thread (the ring), a mapping. */
export type SetupMessage =
  | { kind: 'port'; id: number; port: MessagePort }
  | { kind: 'local'; id: number }
  | { kind: 'eventfd'; addr: number; id: number };

/** @internal Messages on the reply port. */
export type ReplyMessage = { type: 'trace'; event: TraceEvent } | { type: 'reason'; reason: string };

const data = workerData as VcpuWorkerData;
const channel = data.channel;
const reply = data.reply;

const memory = new GuestMemory(data.buffer, {
  base: data.base,
  generations: data.generations,
});
/** Registered notifiers: a port, or the id of a notifier in the file's thread (a number: use the ring). */
const notifiers = new Map<number, MessagePort | number>();
const eventfds = new Map<number, MessagePort | number>();

function drainSetup(): void {
  for (;;) {
    const received = receiveMessageOnPort(data.setup);
    if (received === undefined) return;
    const message = received.message as SetupMessage;
    if (message.kind === 'port') {
      notifiers.set(message.id, message.port);
    } else if (message.kind === 'local') {
      notifiers.set(message.id, message.id);
    } else {
      const target = notifiers.get(message.id);
      if (target !== undefined) eventfds.set(message.addr >>> 0, target);
    }
  }
}

const guest = createGuest({
  memory,
  pfnLimit: data.pfnLimit,
  start: data.start,
  control: data.control,
  trace: data.trace ? (event: TraceEvent) => reply.postMessage({ type: 'trace', event }) : undefined,
  // LHREQ_EVENTFD: a NOTIFY of a registered address signals its notifier instead of ending the read.
  onNotify: (value) => {
    drainSetup();
    const target = eventfds.get(value >>> 0);
    if (target === undefined) return false;
    if (typeof target === 'number') pushNotify(channel, target, value >>> 0);
    else target.postMessage(value >>> 0);
    return true;
  },
});

/** Writes the result words and wakes the file. A death reason goes on the reply port first. */
function publish(result: RunResult): void {
  let kind = RESULT_STOP;
  let value = 0;
  if (result.kind === 'notify') {
    kind = RESULT_NOTIFY;
    value = result.value;
  } else if (result.kind === 'dead') {
    kind = RESULT_DEAD;
    reply.postMessage({ type: 'reason', reason: result.reason });
  } else if (result.kind === 'restart') {
    kind = RESULT_RESTART;
  }
  Atomics.store(channel, CHANNEL_KIND, kind);
  Atomics.store(channel, CHANNEL_VALUE, value | 0);
  Atomics.add(channel, CHANNEL_RESULT, 1);
  ringDoorbell(channel);
}

// Sleep until the file asks for a run (or closes); run; answer; again.
let served = 0;
for (;;) {
  Atomics.wait(channel, CHANNEL_RUN, served);
  if (Atomics.load(channel, CHANNEL_CLOSED) !== 0) break;
  const requested = Atomics.load(channel, CHANNEL_RUN);
  if (requested === served) continue;
  served = requested;
  drainSetup();
  let result = guest.vcpu.run();
  // The machine clock always sleeps while halted, so 'idle' only means "nothing yet": run on.
  while (result.kind === 'idle' || result.kind === 'budget') result = guest.vcpu.run();
  publish(result);
}
process.exit(0);

/**
 * The vCPU thread behind the `/dev/lguest` file (spec §2): the body of the `worker_thread` that
 * `LHREQ_INITIALIZE` starts. It owns the guest (created here from the INITIALIZE words over the
 * shared guest memory) and runs it for each `read()` the main thread asks for, answering with the
 * `RunResult`. While it runs it cannot receive messages, so IRQs, the legacy break and close come
 * through the shared control block (`control.ts`), and eventfd registrations are drained from their
 * port synchronously (`receiveMessageOnPort`) whenever the guest sends a NOTIFY.
 *
 * Workers cannot load TypeScript on Node 20, so this file only ever runs from the built `dist`.
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { GuestMemory } from '@lguest/abi';
import { createGuest } from './guest.js';
import type { TraceEvent } from './trace.js';

/** @internal What the file hands the worker at INITIALIZE. */
export interface VcpuWorkerData {
  buffer: SharedArrayBuffer;
  base: number;
  pfnLimit: number;
  start: number;
  control: Int32Array;
  generations: SharedArrayBuffer | undefined;
  setup: MessagePort;
  trace: boolean;
}

/** @internal Messages on the setup port. */
export type SetupMessage =
  | { kind: 'port'; id: number; port: MessagePort }
  | { kind: 'eventfd'; addr: number; id: number };

const data = workerData as VcpuWorkerData;
const port = parentPort;
if (port === null) throw new Error('vcpu-worker must run in a worker thread');

const memory = new GuestMemory(data.buffer, {
  base: data.base,
  generations: data.generations,
});
const ports = new Map<number, MessagePort>();
const eventfds = new Map<number, MessagePort>();

function drainSetup(): void {
  for (;;) {
    const received = receiveMessageOnPort(data.setup);
    if (received === undefined) return;
    const message = received.message as SetupMessage;
    if (message.kind === 'port') {
      ports.set(message.id, message.port);
    } else {
      const target = ports.get(message.id);
      if (target !== undefined) eventfds.set(message.addr >>> 0, target);
    }
  }
}

const guest = createGuest({
  memory,
  pfnLimit: data.pfnLimit,
  start: data.start,
  control: data.control,
  trace: data.trace ? (event: TraceEvent) => port.postMessage({ type: 'trace', event }) : undefined,
  // LHREQ_EVENTFD: a NOTIFY of a registered address signals its port instead of ending the read.
  onNotify: (value) => {
    drainSetup();
    const target = eventfds.get(value >>> 0);
    if (target === undefined) return false;
    target.postMessage(value >>> 0);
    return true;
  },
});

port.on('message', (message: { type: 'run' }) => {
  if (message.type !== 'run') return;
  drainSetup();
  let result = guest.vcpu.run();
  // The machine clock always sleeps while halted, so 'idle' only means "nothing yet": run on.
  while (result.kind === 'idle' || result.kind === 'budget') result = guest.vcpu.run();
  port.postMessage({ type: 'result', result });
});
port.postMessage({ type: 'ready' });

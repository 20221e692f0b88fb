/**
 * Test support (not exported): the body of the worker threads the cross-thread tests start. A worker
 * either runs a CPU over the shared guest memory it is handed (`run`), patches guest code bytes after a
 * delay the way a device thread or the Host would (`patch`), or sets the stop word of a CPU's control
 * block after a delay (`stop`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { GuestMemory } from '@lguest/abi';
import { createFlatCpu, REG_ESP } from './cpu.js';

interface Job {
  kind: 'run' | 'patch' | 'stop';
  control: SharedArrayBuffer;
  buffer: SharedArrayBuffer;
  generations: SharedArrayBuffer;
  eip: number;
  budget: number;
  at: number;
  bytes: number[];
  delayMs: number;
}

const job = workerData as Job;
const openMemory = (): GuestMemory => new GuestMemory(job.buffer, { generations: job.generations });
if (job.kind === 'run') {
  const memory = openMemory();
  const cpu = createFlatCpu(memory);
  cpu.eip = job.eip;
  cpu.regs[REG_ESP] = 0x9000;
  const exit = cpu.run(job.budget);
  parentPort?.postMessage({ exit: exit.kind, instructions: cpu.instructionCount });
} else if (job.kind === 'stop') {
  // A host event: set the stop word of the CPU's control block from this thread.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, job.delayMs);
  Atomics.store(new Int32Array(job.control), 0, 1);
  parentPort?.postMessage({ stopped: true });
} else {
  const memory = openMemory();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, job.delayMs);
  // A device's write through a view, then the generation bump every writer owes.
  memory.bytes.set(job.bytes, job.at);
  memory.touch(job.at, job.bytes.length);
  parentPort?.postMessage({ patched: true });
}

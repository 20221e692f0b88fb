/**
 * Benchmark: `LHREQ_IRQ`-to-handler latency across threads, through the `/dev/lguest` file.
 *
 * A guest built in memory halts with interrupts on; IRQ 3's interrupt gate points at a handler that
 * re-enables interrupts, resets its stack and sends NOTIFY, then halts again. The main thread starts
 * a read (the worker runs the guest into its HALT and sleeps in `Atomics.wait`), waits a moment, then
 * writes `LHREQ_IRQ(3)` and times until the read resolves with the handler's NOTIFY: the control
 * block, the wake-up, interrupt delivery, the handler and the worker's message back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GuestMemory,
  LGUEST_DATA_LAYOUT,
  LHCALL_HALT,
  LHCALL_LOAD_IDT_ENTRY,
  LHCALL_NOTIFY,
  LHREQ_INITIALIZE,
  LHREQ_IRQ,
} from '@lguest/abi';
import { openLguest } from '../src/index.js';
import { CODE_GPA, DATA_GPA, initCode, STACK_TOP } from '../test/asm.js';

const ROUNDS = 300;

/** Runs the benchmark and returns its figures (median and 99th percentile, in µs). */
export async function irqLatency(): Promise<{ median: number; p99: number }> {
  const handler = CODE_GPA + 0x200;
  const irqEnabled = DATA_GPA + LGUEST_DATA_LAYOUT.irqEnabled.offset;
  const code = initCode()
    .hcall(LHCALL_LOAD_IDT_ENTRY, 0x23, 0x0061_0000 | (handler & 0xffff), (handler & 0xffff_0000) | 0x8e00)
    .store(DATA_GPA + LGUEST_DATA_LAYOUT.blockedInterrupts.offset, 0)
    .store(irqEnabled, 0x200);
  const haltLoop = code.here;
  code.hcall(LHCALL_HALT).jmp(haltLoop);
  while (code.here < handler) code.raw(0x90);
  code.mov(4, STACK_TOP).store(irqEnabled, 0x200).hcall(LHCALL_NOTIFY, 0x3000);
  code.jmp(haltLoop);

  const memory = new GuestMemory(new SharedArrayBuffer(2 << 20));
  for (let i = 0; i < 64; i++) memory.write8(DATA_GPA + LGUEST_DATA_LAYOUT.hcallStatus.offset + i, 0xff);
  memory.write32(DATA_GPA + LGUEST_DATA_LAYOUT.kernelAddress.offset, 0xc000_0000);
  memory.write32(DATA_GPA + LGUEST_DATA_LAYOUT.syscallVec.offset, 0x80);
  memory.bytes.set(code.bytes, CODE_GPA);

  const file = openLguest({ memory });
  file.write([LHREQ_INITIALIZE, 0, 512, CODE_GPA]);
  const samples: number[] = [];
  try {
    for (let round = 0; round < ROUNDS + 20; round++) {
      const read = file.read();
      await sleep(2); // let the worker run the guest into HALT and fall asleep
      const t0 = performance.now();
      file.write([LHREQ_IRQ, 3]);
      const value = await read;
      const t1 = performance.now();
      if (value !== 0x3000) throw new Error(`unexpected read result ${String(value)}`);
      if (round >= 20) samples.push((t1 - t0) * 1000);
    }
  } finally {
    file.close();
  }
  samples.sort((a, b) => a - b);
  return { median: samples[samples.length >> 1], p99: samples[Math.floor(samples.length * 0.99)] };
}

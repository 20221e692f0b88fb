/**
 * The exit benchmark (`tsx bench/exit.ts`, also run at the end of `pnpm bench`): the cost of one round
 * trip through an exit, the path of every system call and hypercall the Host handles — `run()` is
 * called, the guest executes `INT 0x80` whose vector the embedder marked "exit", and `run()` returns
 * the exit (then a `JMP` back to the `INT`). stdout: one JSON line (`x86/exit`, nanoseconds per round
 * trip, best of five batches); stderr: the figure.
 */
import { GuestMemory } from '@lguest/abi';
import { createFlatCpu, REG_ESP } from '../src/index.js';

const ROUNDS = 200_000;

const memory = new GuestMemory(new ArrayBuffer(1 << 20));
memory.bytes.set([0xcd, 0x80, 0xeb, 0xfc], 0x1000); // l: int 0x80; jmp l
// A present ring-0 interrupt gate for 0x80 in a linear IDT at 0x2000 (INT n checks its DPL first).
memory.write32(0x2000 + 0x80 * 8, (0x08 << 16) | 0x3000);
memory.write32(0x2000 + 0x80 * 8 + 4, 0x8e00);
const cpu = createFlatCpu(memory);
cpu.idtr.base = 0x2000;
cpu.idtr.limit = 0x7ff;
const exitBits = new Uint32Array(8);
exitBits[0x80 >> 5] = 1 << (0x80 & 31);
cpu.setExitVectors(exitBits);
cpu.eip = 0x1000;
cpu.regs[REG_ESP] = 0x9000;

let best = Number.POSITIVE_INFINITY;
for (let batch = 0; batch < 5; batch++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) {
    if (cpu.run(10).kind !== 'vector') throw new Error('the INT 0x80 exit did not happen');
  }
  best = Math.min(best, Number(process.hrtime.bigint() - start) / ROUNDS);
}
process.stdout.write(
  `${JSON.stringify({ bench: 'x86/exit', metric: 'round trip', value: Math.round(best), unit: 'ns' })}\n`,
);
process.stderr.write(`exit round trip (run() → INT 0x80 exit → return): ${best.toFixed(0)} ns\n`);

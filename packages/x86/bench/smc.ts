/**
 * The self-modifying-code benchmark (`tsx bench/smc.ts`, also run at the end of `pnpm bench`): how fast
 * the CPU runs a loop that writes into the page it executes from, the pattern of a kernel patching its
 * own code at boot and of user programs whose data (a JIT's buffers, a PLT/GOT) shares a page with code.
 *
 * Three loops of four instructions on flat memory, each run for a fixed instruction budget:
 * `code` increments an immediate of the loop itself every iteration (a real code change), `page`
 * stores to a byte of the loop's page that holds no code, and `data` (the reference) stores to another
 * page. Each loop runs for half a second (best of three). stdout: one JSON line per loop (`x86/smc/<loop>`, instructions per second); stderr: a table.
 */
import { GuestMemory } from '@lguest/abi';
import { createFlatCpu, REG_ECX, REG_ESP } from '../src/index.js';

/** Instructions per `run` call; each loop runs such calls for at least {@link SECONDS}. */
const CHUNK = 20_000;
const SECONDS = 0.5;

function dd(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** l: mov edx, imm32 (at 0x1000); inc dword [target]; dec ecx; jnz l — 4 instructions per iteration. */
function loop(target: number): number[] {
  return [0xba, ...dd(5), 0xff, 0x05, ...dd(target), 0x49, 0x75, 0xf2];
}

const LOOPS = [
  { name: 'code', what: 'stores into its own instruction', target: 0x1001 },
  { name: 'page', what: 'stores into its code page, no code there', target: 0x1800 },
  { name: 'data', what: 'stores into another page (reference)', target: 0x3000 },
] as const;

function measure(target: number): number {
  const memory = new GuestMemory(new ArrayBuffer(1 << 20));
  memory.bytes.set(loop(target), 0x1000);
  const cpu = createFlatCpu(memory);
  cpu.eip = 0x1000;
  cpu.regs[REG_ESP] = 0x9000;
  cpu.regs[REG_ECX] = 0x7fff_ffff;
  cpu.run(CHUNK); // warm up: decode, fill the TLB, let the JIT compile
  const start = process.hrtime.bigint();
  const before = cpu.instructionCount;
  let seconds = 0;
  while (seconds < SECONDS) {
    cpu.run(CHUNK);
    seconds = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return (cpu.instructionCount - before) / seconds;
}

const rows: string[] = [];
for (const { name, what, target } of LOOPS) {
  let best = 0;
  for (let i = 0; i < 3; i++) best = Math.max(best, measure(target));
  process.stdout.write(
    `${JSON.stringify({ bench: `x86/smc/${name}`, metric: 'ips', value: Math.round(best), unit: 'instructions/s' })}\n`,
  );
  rows.push(
    `${name.padEnd(5)} ${(best / 1e6).toFixed(2).padStart(8)} M instr/s  ${(1e6 / best).toFixed(3).padStart(8)} µs/instr  (${what})`,
  );
}
process.stderr.write(`${rows.join('\n')}\n`);

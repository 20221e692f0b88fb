/**
 * Benchmark of the guest-memory hot path: `GuestMemory.read32`/`write32` (checked, generation-
 * bumping) against a raw `DataView` over the same shared buffer. Devices and the Host use these
 * accessors for every ring and `lguest_data` access, so their cost relative to the bare DataView is
 * the price of the range rule. Prints one JSON line per measurement on stdout; notes go to stderr.
 */
import { GuestMemory } from '../src/index.js';

const BYTES = 16 << 20;
const WINDOW = 1 << 20; // 1 MiB of addresses, walked word by word
const OPS = 20_000_000;
const ROUNDS = 5;

const buffer = new SharedArrayBuffer(BYTES);
const memory = new GuestMemory(buffer);
const view = new DataView(buffer);

let sink = 0;

// One loop per accessor, so each call site stays monomorphic and V8 can inline both sides fairly.
function readGuest(): number {
  const start = process.hrtime.bigint();
  let acc = 0;
  for (let i = 0; i < OPS; i++) acc = (acc + memory.read32((i << 2) & (WINDOW - 1))) | 0;
  sink ^= acc;
  return OPS / (Number(process.hrtime.bigint() - start) / 1e9);
}

function readRaw(): number {
  const start = process.hrtime.bigint();
  let acc = 0;
  for (let i = 0; i < OPS; i++) acc = (acc + view.getUint32((i << 2) & (WINDOW - 1), true)) | 0;
  sink ^= acc;
  return OPS / (Number(process.hrtime.bigint() - start) / 1e9);
}

function writeGuest(): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) memory.write32((i << 2) & (WINDOW - 1), i);
  return OPS / (Number(process.hrtime.bigint() - start) / 1e9);
}

function writeRaw(): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) view.setUint32((i << 2) & (WINDOW - 1), i, true);
  return OPS / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** The best of several rounds, after one warm-up round, so JIT tiers settle first. */
function best(run: () => number): number {
  run();
  let top = 0;
  for (let r = 0; r < ROUNDS; r++) top = Math.max(top, run());
  return top;
}

const results: [string, number, number][] = [
  ['read32', best(readGuest), best(readRaw)],
  ['write32', best(writeGuest), best(writeRaw)],
];

for (const [name, value, baseline] of results) {
  const ratio = value / baseline;
  process.stdout.write(
    `${JSON.stringify({
      bench: `abi/guest-memory-${name}`,
      metric: `${name} throughput (checked GuestMemory vs raw DataView)`,
      value: Math.round(value),
      unit: 'ops/s',
      baseline: Math.round(baseline),
      ratio: Number(ratio.toFixed(3)),
    })}\n`,
  );
  process.stderr.write(
    `${name}: GuestMemory ${(value / 1e6).toFixed(1)} M/s, DataView ${(baseline / 1e6).toFixed(1)} M/s, ratio ${ratio.toFixed(2)}\n`,
  );
}
process.stderr.write(`(checksum ${sink})\n`);

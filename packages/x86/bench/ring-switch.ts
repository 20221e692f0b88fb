/**
 * The ring-switch benchmark (`tsx bench/ring-switch.ts`, also run at the end of `pnpm bench`): the
 * cost of a direct trap, the way a guest system call reaches its kernel without an exit. Host-side
 * tables as the Switcher builds them: user code at CPL 3 loops on `INT 0x80` through a DPL-3 trap
 * gate into a CPL-1 handler, which switches stacks through the TSS ring-1 entry, then `IRET`s back
 * to CPL 3 (SS:ESP popped, data segments checked). A second handler adds what an entry stub does
 * with segments: `push ds; mov ds, eax; pop ds`. stdout: one JSON line each (`x86/ring-switch`,
 * `x86/ring-switch-segments`: nanoseconds per INT + IRET round trip, loop included, best of five
 * batches); stderr: the figures.
 */
import { GuestMemory } from '@lguest/abi';
import {
  Cpu,
  flatAttributes,
  HostDescriptorTables,
  REG_ECX,
  REG_ESP,
  SEG_CS,
  SEG_DS,
  SEG_ES,
  SEG_FS,
  SEG_GS,
  SEG_SS,
} from '../src/index.js';

const ROUNDS = 200_000;

function measure(handler: number[]): number {
  const memory = new GuestMemory(new ArrayBuffer(1 << 20));
  const tables = new HostDescriptorTables(32);
  const flat = (type: number, dpl: number): [number, number] => [
    0xffff,
    0x00cf_9000 | (dpl << 13) | (type << 8),
  ];
  tables.setGdtEntry(12, ...flat(0xb, 1)); // 0x61: ring-1 code
  tables.setGdtEntry(13, ...flat(0x3, 1)); // 0x69: ring-1 data
  tables.setGdtEntry(14, ...flat(0xb, 3)); // 0x73: user code
  tables.setGdtEntry(15, ...flat(0x3, 3)); // 0x7B: user data
  tables.setGate(0x80, (0x61 << 16) | 0x2000, 0xef00); // trap gate, DPL 3
  tables.setGate(0x81, 0x61 << 16, 0xee00); // the exit that ends the loop
  tables.setStack(1, 0x69, 0x8_0000);
  const cpu = new Cpu({ memory });
  cpu.setDescriptorSource(tables);
  const bits = new Uint32Array(8);
  bits[0x81 >> 5] = 1 << (0x81 & 31);
  cpu.setExitVectors(bits);
  // l: int 0x80; dec ecx; jnz l; int 0x81
  memory.bytes.set([0xcd, 0x80, 0x49, 0x75, 0xfb, 0xcd, 0x81], 0x1000);
  memory.bytes.set([...handler, 0xcf], 0x2000);
  let best = Number.POSITIVE_INFINITY;
  for (let batch = 0; batch < 5; batch++) {
    cpu.setSegment(SEG_CS, {
      selector: 0x73,
      base: 0,
      limit: 0xffff_ffff,
      attributes: flatAttributes(0xb, 3),
    });
    for (const seg of [SEG_SS, SEG_DS, SEG_ES]) {
      cpu.setSegment(seg, {
        selector: 0x7b,
        base: 0,
        limit: 0xffff_ffff,
        attributes: flatAttributes(0x3, 3),
      });
    }
    for (const seg of [SEG_FS, SEG_GS])
      cpu.setSegment(seg, { selector: 0, base: 0, limit: 0, attributes: 0 });
    cpu.setEflags(0x202);
    cpu.regs[REG_ESP] = 0x7_0000;
    cpu.regs[REG_ECX] = ROUNDS;
    cpu.eip = 0x1000;
    const start = process.hrtime.bigint();
    const exit = cpu.run(Number.MAX_SAFE_INTEGER);
    const ns = Number(process.hrtime.bigint() - start) / ROUNDS;
    if (exit.kind !== 'vector' || exit.vector !== 0x81)
      throw new Error('the ring-switch loop did not finish');
    best = Math.min(best, ns);
  }
  return best;
}

const bare = measure([]);
// push ds; mov eax, 0x69; mov ds, eax; pop ds
const segments = measure([0x1e, 0xb8, 0x69, 0, 0, 0, 0x8e, 0xd8, 0x1f]);
for (const [name, value] of [
  ['x86/ring-switch', bare],
  ['x86/ring-switch-segments', segments],
] as const) {
  process.stdout.write(
    `${JSON.stringify({ bench: name, metric: 'round trip', value: Math.round(value), unit: 'ns' })}\n`,
  );
}
process.stderr.write(
  `ring switch (INT 0x80 from CPL 3 to CPL 1, IRET back, loop): ${bare.toFixed(0)} ns; with a segment save/load/restore: ${segments.toFixed(0)} ns\n`,
);

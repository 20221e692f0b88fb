/**
 * Quick CPU throughput benchmarks (`pnpm bench`): three loops of machine code run on a flat CPU —
 * register-only ALU work, a read-modify-write walk over 4 MiB with paging on, and call/ret with
 * push/pop — each reported as MIPS, one JSON line per benchmark on stdout. The multiboot benchmark
 * kernel and the side-by-side v86 comparison the issue asks for are not here yet.
 */
import { GuestMemory } from '@lguest/abi';
import { CR0_PG, createFlatCpu, REG_ESP } from '../src/index.js';

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

interface Bench {
  name: string;
  code: number[];
  paging?: boolean;
}

const benches: Bench[] = [
  {
    // mov ecx, N; l: add eax, ecx; xor ebx, eax; add edx, 3; dec ecx; jnz l; hlt
    name: 'alu-loop',
    code: [0xb9, ...le32(8_000_000), 0x01, 0xc8, 0x31, 0xc3, 0x83, 0xc2, 0x03, 0x49, 0x75, 0xf6, 0xf4],
  },
  {
    // mov edi, 8; outer: mov esi, 0x400000; mov ecx, 0x100000
    // l: add [esi], eax; add esi, 4; dec ecx; jnz l; dec edi; jnz outer; hlt
    name: 'rmw-walk-paged',
    paging: true,
    code: [
      0xbf,
      ...le32(8),
      0xbe,
      ...le32(0x40_0000),
      0xb9,
      ...le32(0x10_0000),
      0x01,
      0x06,
      0x83,
      0xc6,
      0x04,
      0x49,
      0x75,
      0xf8,
      0x4f,
      0x75,
      0xe9,
      0xf4,
    ],
  },
  {
    // mov ecx, N; l: call f; dec ecx; jnz l; hlt; f: push ebx; push esi; pop esi; pop ebx; ret
    name: 'call-ret',
    code: [
      0xb9,
      ...le32(4_000_000),
      0xe8,
      0x04,
      0,
      0,
      0,
      0x49,
      0x75,
      0xf8,
      0xf4,
      0x53,
      0x56,
      0x5e,
      0x5b,
      0xc3,
    ],
  },
];

for (const bench of benches) {
  const memory = new GuestMemory(new ArrayBuffer(16 << 20));
  memory.bytes.set(bench.code, 0x1000);
  const cpu = createFlatCpu(memory);
  cpu.eip = 0x1000;
  cpu.regs[REG_ESP] = 0x8000;
  if (bench.paging) {
    // Identity-map 16 MiB with 4 KiB pages: directory at 0x10000, tables from 0x11000.
    memory.write32(0x10000, 0);
    for (let t = 0; t < 4; t++) {
      memory.write32(0x10000 + t * 4, (0x11000 + t * 0x1000) | 7);
      for (let i = 0; i < 1024; i++) memory.write32(0x11000 + t * 0x1000 + i * 4, ((t * 1024 + i) << 12) | 7);
    }
    cpu.cr3 = 0x10000;
    cpu.cr0 = cpu.cr0 | CR0_PG;
  }
  const start = performance.now();
  let exit = cpu.run(1 << 20);
  while (exit.kind === 'budget') exit = cpu.run(1 << 20);
  const seconds = (performance.now() - start) / 1000;
  const mips = cpu.instructionCount / seconds / 1e6;
  process.stderr.write(
    `${bench.name}: ${cpu.instructionCount} instructions in ${seconds.toFixed(2)} s (${exit.kind})\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ bench: `x86/${bench.name}`, metric: 'MIPS', value: Number(mips.toFixed(2)), unit: 'MIPS' })}\n`,
  );
}

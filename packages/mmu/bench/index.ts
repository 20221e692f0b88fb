/**
 * Benchmarks of the shadow MMU (`pnpm bench`): demand-faulting a 64 MiB range, SET_PTE throughput,
 * and the cost of a TLB miss — both `translate()` alone and through the CPU, where guest code walks
 * one page after another with its TLB emptied and again with it warm. One JSON object per line on
 * stdout; human-readable text on stderr.
 */
import { DeathRecord, GuestMemory, PAGE_ACCESSED, PAGE_DIRTY, PAGE_PRESENT, PAGE_RW } from '@lguest/abi';
import { ACCESS_READ, ACCESS_WRITE, createFlatCpu, createTranslation, PF_WRITE } from '@lguest/x86';
import { ShadowMmu } from '../src/index.js';

const MIB = 1024 * 1024;
const RANGE = 64 * MIB;
const PAGES = RANGE / 4096;
const DIRS = [0x1000, 0x2000, 0x3000, 0x4000];
const TABLES = 0x10000; // 16 page tables for the 64 MiB range
const DATA = 4 * MIB;
const BASE_VA = 0xc000_0000;

function emit(name: string, metric: string, value: number, unit: string): void {
  process.stdout.write(
    `${JSON.stringify({ bench: `mmu/${name}`, metric, value: Number(value.toPrecision(6)), unit })}\n`,
  );
  process.stderr.write(`mmu/${name}: ${metric} = ${value.toPrecision(4)} ${unit}\n`);
}

/** A guest whose four directories all map BASE_VA.. (64 MiB) to DATA.. through shared kernel tables. */
function setup(): { mmu: ShadowMmu; memory: GuestMemory; killer: DeathRecord } {
  const memory = new GuestMemory(new ArrayBuffer(DATA + RANGE));
  const killer = new DeathRecord();
  const mmu = new ShadowMmu({ memory, killer });
  mmu.bind({ invalidatePage() {}, invalidateAll() {} });
  for (let t = 0; t < PAGES / 1024; t++) {
    const table = TABLES + t * 4096;
    for (const dir of DIRS) memory.write32(dir + ((BASE_VA >>> 22) + t) * 4, table | 0x067);
    for (let i = 0; i < 1024; i++)
      memory.write32(table + i * 4, (DATA + (t * 1024 + i) * 4096) | PAGE_PRESENT | PAGE_RW);
  }
  mmu.newPgtable(DIRS[0]);
  return { mmu, memory, killer };
}

function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function demandFault(): void {
  const { mmu, memory, killer } = setup();
  // Each round starts from clean guest PTEs and empty shadows, so every fault reads both levels,
  // sets A and D, writes the PTE back and installs a shadow entry; only the faults are timed.
  const round = (): number => {
    for (let p = 0; p < PAGES; p++)
      memory.write32(TABLES + p * 4, (DATA + p * 4096) | PAGE_PRESENT | PAGE_RW);
    mmu.flushTlb(true);
    return time(() => {
      for (let p = 0; p < PAGES; p++) mmu.demandPage(BASE_VA + p * 4096, PF_WRITE);
    });
  };
  round(); // warm-up
  const rounds = 10;
  let seconds = 0;
  for (let r = 0; r < rounds; r++) seconds += round();
  if (killer.dead) throw new Error(`bench guest died: ${killer.reason}`);
  emit('demand-fault-64mib', 'time to demand-fault 64 MiB (write faults)', (seconds / rounds) * 1000, 'ms');
  emit('demand-fault-64mib', 'demand faults per second', (rounds * PAGES) / seconds, 'faults/s');
}

function setPteRate(): void {
  const { mmu, killer } = setup();
  // Every directory cached and holding the kernel tables, so a kernel SET_PTE updates all four.
  for (const dir of DIRS) {
    mmu.newPgtable(dir);
    for (let t = 0; t < PAGES / 1024; t++) mmu.demandPage(BASE_VA + t * 4 * MIB, 0);
  }
  const ops = 1_000_000;
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const page = i & (PAGES - 1);
      const pte =
        (DATA + page * 4096) | PAGE_PRESENT | PAGE_RW | PAGE_ACCESSED | ((i & 1) === 0 ? PAGE_DIRTY : 0);
      mmu.setPte(DIRS[0], BASE_VA + page * 4096, pte);
    }
  };
  run(100_000);
  const seconds = time(() => run(ops));
  if (killer.dead) throw new Error(`bench guest died: ${killer.reason}`);
  emit('set-pte', 'kernel SET_PTE operations per second (4 cached directories)', ops / seconds, 'ops/s');
}

function translateMiss(): void {
  const { mmu, killer } = setup();
  for (let p = 0; p < PAGES; p++) mmu.demandPage(BASE_VA + p * 4096, PF_WRITE);
  const out = createTranslation();
  let failures = 0;
  const run = (rounds: number) => {
    for (let r = 0; r < rounds; r++) {
      for (let p = 0; p < PAGES; p++) {
        failures +=
          mmu.translate(BASE_VA + p * 4096, (p & 3) === 0 ? ACCESS_WRITE : ACCESS_READ, false, out) === 0
            ? 0
            : 1;
      }
    }
  };
  run(20);
  const rounds = 200;
  const seconds = time(() => run(rounds));
  if (failures !== 0 || killer.dead) throw new Error('translate failed on mapped pages');
  emit(
    'tlb-miss',
    'translate() per CPU TLB miss, called directly (not through the CPU)',
    (seconds / (rounds * PAGES)) * 1e9,
    'ns',
  );
}

/**
 * The miss as the CPU takes it: a loop reading one dword from each of 16,383 pages, run with the
 * CPU's TLB emptied (every access asks the MMU) and again warm; the difference per page is the
 * miss path — TLB refill through `translate()`, shadow lookup and all.
 */
function cpuTlbMiss(): void {
  const { mmu, memory, killer } = setup();
  for (let p = 0; p < PAGES; p++) mmu.demandPage(BASE_VA + p * 4096, PF_WRITE);
  const cpu = createFlatCpu(memory, { translation: mmu });
  const loads = PAGES - 1;
  const code = new Uint8Array(24);
  const view = new DataView(code.buffer);
  // mov esi, BASE_VA+4096; mov ecx, loads; 1: mov eax,[esi]; add esi,4096; dec ecx; jnz 1b; hlt
  code.set([0xbe], 0);
  view.setUint32(1, BASE_VA + 4096, true);
  code.set([0xb9], 5);
  view.setUint32(6, loads, true);
  code.set([0x8b, 0x06, 0x81, 0xc6, 0x00, 0x10, 0x00, 0x00, 0x49, 0x75, 0xf5, 0xf4], 10);
  memory.copyIn(DATA, code);
  const pass = (cold: boolean): number => {
    if (cold) cpu.invalidateAll();
    cpu.eip = BASE_VA;
    return time(() => {
      const exit = cpu.run(10 * loads);
      if (exit.kind !== 'halt') throw new Error(`walk ended with ${JSON.stringify(exit)}`);
    });
  };
  for (let i = 0; i < 5; i++) pass(i % 2 === 0);
  let cold = 0;
  let warm = 0;
  const rounds = 40;
  for (let r = 0; r < rounds; r++) {
    cold += pass(true);
    warm += pass(false);
  }
  if (killer.dead) throw new Error(`bench guest died: ${killer.reason}`);
  emit(
    'cpu-tlb-miss',
    'extra time per CPU TLB miss answered by the shadow MMU',
    ((cold - warm) / (rounds * loads)) * 1e9,
    'ns',
  );
}

demandFault();
setPteRate();
translateMiss();
cpuTlbMiss();

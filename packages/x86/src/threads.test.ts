import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { GuestMemory } from '@lguest/abi';
import { describe, expect, it } from 'vitest';
import { CONTROL_STOP, CONTROL_WORDS, createFlatCpu, REG_ESP } from './cpu.js';
import { dd } from './test-machine.js';

const workerUrl = new URL('./test-worker.ts', import.meta.url);
// Workers run the TypeScript sources through tsx's ESM hooks (tsx is the workspace's dev dependency).
const tsxApi = pathToFileURL(
  createRequire(new URL('../../../package.json', import.meta.url))
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs'), // the ESM build of the same entry
).href;
const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); });`;

function startWorker(data: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const w = new Worker(bootstrap, { eval: true, workerData: data });
    w.once('message', (m) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

function sharedMemory(): GuestMemory {
  return new GuestMemory(new SharedArrayBuffer(1 << 20));
}

describe('across threads', () => {
  it('LOCKed read-modify-writes are atomic between two CPUs on shared memory', async () => {
    const memory = sharedMemory();
    const n = 200_000;
    // mov ecx,n; mov edx,1
    // l: lock inc dword [0x3000]; lock xadd [0x3004],edx (edx stays 1 after the first... reload it)
    //    mov edx,1; lock add word [0x3008],dx; lock or byte [0x300c], 0; dec ecx; jnz l; hlt
    const code = [
      0xb9,
      ...dd(n),
      0xba,
      ...dd(1),
      0xf0,
      0xff,
      0x05,
      ...dd(0x3000), //        lock inc dword [0x3000]
      0xf0,
      0x0f,
      0xc1,
      0x15,
      ...dd(0x3004), //  lock xadd [0x3004], edx
      0xba,
      ...dd(1), //                         mov edx, 1
      0xf0,
      0x66,
      0x01,
      0x15,
      ...dd(0x3008), //  lock add word [0x3008], dx
      0xf0,
      0x80,
      0x05,
      ...dd(0x300c),
      0x01, //  lock add byte [0x300c], 1
      0x49, //                                   dec ecx
      0x75,
      0x100 - 39, //                       jnz l
      0xf4,
    ];
    memory.bytes.set(code, 0x1000);
    const job = {
      kind: 'run',
      buffer: memory.buffer,
      generations: memory.generations.buffer,
      eip: 0x1000,
      budget: 10 * n,
    };
    const results = await Promise.all([startWorker(job), startWorker(job)]);
    expect(results.map((r) => r.exit)).toEqual(['halt', 'halt']);
    expect(memory.read32(0x3000)).toBe(2 * n);
    expect(memory.read32(0x3004)).toBe(2 * n);
    expect(memory.read16(0x3008)).toBe((2 * n) & 0xffff);
    expect(memory.read8(0x300c)).toBe((2 * n) & 0xff);
  }, 60_000);

  it('LOCK CMPXCHG8B is atomic as one 64-bit operation between two CPUs', async () => {
    const memory = sharedMemory();
    memory.write32(0x3010, 0xffff_fff0); // the low half carries into the high half during the test
    const n = 400_000;
    // mov edi, n
    // outer: mov eax,[0x3010]; mov edx,[0x3014]
    // retry: mov ebx,eax; mov ecx,edx; add ebx,1; adc ecx,0; lock cmpxchg8b [0x3010]; jnz retry
    //        dec edi; jnz outer; hlt
    const code = [
      0xbf,
      ...dd(n),
      0xa1,
      ...dd(0x3010),
      0x8b,
      0x15,
      ...dd(0x3014),
      0x89,
      0xc3,
      0x89,
      0xd1,
      0x83,
      0xc3,
      0x01,
      0x83,
      0xd1,
      0x00,
      0xf0,
      0x0f,
      0xc7,
      0x0d,
      ...dd(0x3010),
      0x75,
      0xec,
      0x4f,
      0x75,
      0xde,
      0xf4,
    ];
    memory.bytes.set(code, 0x1000);
    const job = {
      kind: 'run',
      buffer: memory.buffer,
      generations: memory.generations.buffer,
      eip: 0x1000,
      budget: 100 * n,
    };
    const results = await Promise.all([startWorker(job), startWorker(job)]);
    expect(results.map((r) => r.exit)).toEqual(['halt', 'halt']);
    const total = memory.read32(0x3014) * 2 ** 32 + memory.read32(0x3010);
    expect(total).toBe(0xffff_fff0 + 2 * n);
  }, 60_000);

  it('sees code another thread rewrites while it runs', async () => {
    const memory = sharedMemory();
    // l: inc eax; jmp l   — the worker turns the jmp into hlt; hlt
    memory.bytes.set([0x40, 0xeb, 0xfd], 0x1000);
    const cpu = createFlatCpu(memory);
    cpu.eip = 0x1000;
    cpu.regs[REG_ESP] = 0x8000;
    const patched = startWorker({
      kind: 'patch',
      buffer: memory.buffer,
      generations: memory.generations.buffer,
      at: 0x1001,
      bytes: [0xf4, 0xf4],
      delayMs: 50,
    });
    const start = Date.now();
    let exit = cpu.run(10_000);
    while (exit.kind === 'budget' && Date.now() - start < 20_000) exit = cpu.run(10_000);
    expect(exit.kind).toBe('halt');
    expect(await patched).toEqual({ patched: true });
    expect(cpu.regs[0]).toBeGreaterThan(0);
  }, 30_000);

  it("sees an instruction another thread's CPU rewrites through its own TLB", async () => {
    const memory = sharedMemory();
    // CPU A (0x1000): mov dword [0x3000], 1 (started); l: mov eax, 1; inc dword [0x3004];
    //                 cmp eax, 2; jne l; hlt
    const a = [0xc7, 0x05, ...dd(0x3000), ...dd(1), 0xb8, ...dd(1), 0xff, 0x05, ...dd(0x3004)];
    a.push(0x83, 0xf8, 0x02, 0x75, 0x100 - 16, 0xf4);
    // CPU B (0x2000): mov dword [0x1800], 0 (a store to A's code page: fills B's TLB with write
    // rights); w: cmp dword [0x3000], 1; jne w; mov ecx, 100000; d: dec ecx; jnz d;
    // mov dword [0x1000 + 11], 2 (A's immediate); mov ebx, [0x3004]; mov [0x3008], ebx; hlt
    const b = [0xc7, 0x05, ...dd(0x1800), ...dd(0), 0x83, 0x3d, ...dd(0x3000), 0x01, 0x75, 0x100 - 9];
    b.push(0xb9, ...dd(100_000), 0x49, 0x75, 0x100 - 3, 0xc7, 0x05, ...dd(0x100b), ...dd(2));
    b.push(0x8b, 0x1d, ...dd(0x3004), 0x89, 0x1d, ...dd(0x3008), 0xf4);
    memory.bytes.set(a, 0x1000);
    memory.bytes.set(b, 0x2000);
    const job = {
      kind: 'run',
      buffer: memory.buffer,
      generations: memory.generations.buffer,
      budget: 200_000_000,
    };
    const [ra, rb] = await Promise.all([
      startWorker({ ...job, eip: 0x1000 }),
      startWorker({ ...job, eip: 0x2000 }),
    ]);
    expect(rb.exit).toBe('halt');
    expect(ra.exit).toBe('halt'); // a stale record would have looped until the budget ran out
    expect(memory.read32(0x100b)).toBe(2);
    // A ran its loop from cached records before the rewrite, and stopped promptly after it: B read
    // A's iteration count right after its store, and A made only a few more iterations.
    const atRewrite = memory.read32(0x3008);
    const final = memory.read32(0x3004);
    expect(atRewrite).toBeGreaterThan(0);
    expect(final - atRewrite).toBeLessThan(10_000);
  }, 60_000);

  it('stops with {kind: stop} when another thread sets the control block', async () => {
    const memory = sharedMemory();
    memory.bytes.set([0xeb, 0xfe], 0x1000); // jmp $
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
    const cpu = createFlatCpu(memory, { control });
    cpu.eip = 0x1000;
    const stopper = startWorker({ kind: 'stop', control: control.buffer, delayMs: 50 });
    const start = Date.now();
    const exit = cpu.run(300_000_000); // bounded, so a broken worker cannot hang the suite
    expect(exit).toEqual({ kind: 'stop' });
    expect(Date.now() - start).toBeLessThan(10_000);
    expect(await stopper).toEqual({ stopped: true });
    // The CPU never clears the word: the next run stops at once, until the embedder clears it.
    const before = cpu.instructionCount;
    expect(cpu.run(100)).toEqual({ kind: 'stop' });
    expect(cpu.instructionCount).toBe(before);
    Atomics.store(control, CONTROL_STOP, 0);
    expect(cpu.run(100)).toEqual({ kind: 'budget' });
  }, 30_000);
});

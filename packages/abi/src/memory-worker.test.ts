import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { GuestMemory } from './memory.js';

// A real second thread opens the same guest memory with GuestMemory.fromShared and writes it. Node
// 20 workers cannot load TypeScript by themselves, so the inline worker first registers tsx's
// require hook (tsx is the workspace's script runner) and then loads memory.ts itself.
const tsxHook = createRequire(import.meta.url).resolve('tsx/cjs');
const memoryModule = fileURLToPath(new URL('./memory.ts', import.meta.url));
const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
require(${JSON.stringify(tsxHook)});
const { GuestMemory } = require(${JSON.stringify(memoryModule)});
const faults = [];
const mem = GuestMemory.fromShared(workerData, (addr, len) => faults.push([addr, len]));
mem.write32(0x1ffe, 0xdeadbeef); // straddles pages 1 and 2
mem.copyIn(0x5000, new Uint8Array([1, 2, 3]));
mem.write8(mem.limit, 1); // out of range: dropped and reported
parentPort.postMessage({ faults, seen: mem.read32(0x10) });
`;

describe('GuestMemory across worker threads', () => {
  it('a worker writes, the main thread sees the bytes and the generation changes', async () => {
    const mem = new GuestMemory(new SharedArrayBuffer(16 * 4096 + 256), { base: 256, pfnLimit: 8 });
    mem.write32(0x10, 0x600d);
    const before = [...mem.generations];
    const worker = new Worker(workerCode, {
      eval: true,
      workerData: mem.share(),
    });
    const reply = await new Promise<{ faults: [number, number][]; seen: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(reply.seen).toBe(0x600d);
    expect(reply.faults).toEqual([[8 * 4096, 1]]);
    expect(mem.read32(0x1ffe)).toBe(0xdead_beef);
    expect([mem.read8(0x5000), mem.read8(0x5001), mem.read8(0x5002)]).toEqual([1, 2, 3]);
    const after = [...mem.generations];
    expect(after[1] - before[1]).toBe(2);
    expect(after[2] - before[2]).toBe(2);
    expect(after[5] - before[5]).toBe(2);
    expect(after.filter((g, i) => g !== before[i])).toHaveLength(3);
  }, 20_000);
});

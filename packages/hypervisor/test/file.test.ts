/**
 * The `/dev/lguest` file (spec §2) with the vCPU in a worker thread: every errno of §2.2–§2.5, the
 * legacy break around a running and a halted guest, eventfd notifiers, restart, close, and a guest
 * booted and run to its death through the file alone. The worker runs the built `dist` (the
 * package's `test` script builds first).
 */
import { readFileSync } from 'node:fs';
import { MessageChannel } from 'node:worker_threads';
import {
  EAGAIN,
  EBUSY,
  EFAULT,
  EINTR,
  EINVAL,
  ENOENT,
  ENOMEM,
  EPERM,
  ERESTART,
  GuestMemory,
  LGUEST_DATA_LAYOUT,
  LHCALL_HALT,
  LHCALL_LOAD_IDT_ENTRY,
  LHCALL_NOTIFY,
  LHCALL_SHUTDOWN,
  LHREQ_BREAK,
  LHREQ_EVENTFD,
  LHREQ_GETDMA,
  LHREQ_INITIALIZE,
  LHREQ_IRQ,
} from '@lguest/abi';
import { EBADF, LguestError, type LguestFile, openLguest, type TraceEvent } from '@lguest/hypervisor';
import { parseElf32 } from '@lguest/x86';
import { afterEach, describe, expect, it } from 'vitest';
import { guestImage } from '../../../tools/guests/images.js';
import { type Asm, CODE_GPA, DATA_GPA, initCode } from './asm.js';

const MEM = 2 << 20;
const open: LguestFile[] = [];
afterEach(() => {
  for (const file of open.splice(0)) file.close();
});

function codeMemory(code: Asm): GuestMemory {
  const memory = new GuestMemory(new SharedArrayBuffer(MEM));
  for (let i = 0; i < 64; i++) memory.write8(DATA_GPA + LGUEST_DATA_LAYOUT.hcallStatus.offset + i, 0xff);
  memory.write32(DATA_GPA + LGUEST_DATA_LAYOUT.kernelAddress.offset, 0xc000_0000);
  memory.write32(DATA_GPA + LGUEST_DATA_LAYOUT.syscallVec.offset, 0x80);
  memory.bytes.set(code.bytes, CODE_GPA);
  memory.copyIn(0x3000, new TextEncoder().encode('irq\0off\0'));
  return memory;
}

function imageMemory(name: string): { memory: GuestMemory; entry: number } {
  const memory = new GuestMemory(new SharedArrayBuffer(4 << 20));
  const elf = parseElf32(new Uint8Array(readFileSync(guestImage(name))));
  for (const segment of elf.segments) memory.bytes.set(segment.data, segment.paddr);
  memory.write8(0x1e8, 1);
  memory.write64(0x2d8, BigInt(4 << 20));
  memory.write32(0x2e0, 1);
  return { memory, entry: elf.entry };
}

/** Halts with interrupts on; IRQ 3 runs NOTIFY(0x3000 "irq") then SHUTDOWN("off"). */
function haltingCode(): Asm {
  const handler = 0x10200;
  const code = initCode()
    .hcall(LHCALL_LOAD_IDT_ENTRY, 0x23, 0x0061_0000 | (handler & 0xffff), (handler & 0xffff_0000) | 0x8e00)
    .store(DATA_GPA + LGUEST_DATA_LAYOUT.blockedInterrupts.offset, 0)
    .hcall(LHCALL_HALT)
    .spin();
  while (code.here < handler) code.raw(0x90);
  return code.hcall(LHCALL_NOTIFY, 0x3000).hcall(LHCALL_SHUTDOWN, 0x3004, 1);
}

function start(memory: GuestMemory, entry = CODE_GPA, options: { trace?: (e: TraceEvent) => void } = {}) {
  const file = openLguest({ memory, ...options });
  open.push(file);
  expect(file.write([LHREQ_INITIALIZE, 0, memory.bytes.length / 4096, entry])).toBe(12);
  return file;
}

function errnoOf(fn: () => unknown): number {
  try {
    fn();
  } catch (error) {
    if (error instanceof LguestError) return error.errno;
    throw error;
  }
  return 0;
}

async function rejection(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LguestError) return error.errno;
    throw error;
  }
  return 0;
}

function text(memory: GuestMemory, gpa: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    const c = memory.read8(gpa + i);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('write() before and at INITIALIZE (§2.2)', () => {
  it('refuses every request but INITIALIZE before it, and reads with EINVAL', async () => {
    const file = openLguest({ memory: codeMemory(initCode().spin()) });
    open.push(file);
    expect(errnoOf(() => file.write([LHREQ_IRQ, 1]))).toBe(EINVAL);
    expect(errnoOf(() => file.write([LHREQ_BREAK, 1]))).toBe(EINVAL);
    expect(errnoOf(() => file.write([LHREQ_EVENTFD, 0x1000, 1]))).toBe(EINVAL);
    expect(await rejection(file.read())).toBe(EINVAL);
  });

  it('EFAULT for missing or unreadable words, EINVAL for a limit beyond the buffer, EBUSY the second time', () => {
    const memory = codeMemory(initCode().spin());
    const file = openLguest({ memory });
    open.push(file);
    expect(errnoOf(() => file.write([]))).toBe(EFAULT);
    expect(errnoOf(() => file.write([LHREQ_INITIALIZE, 0, 16]))).toBe(EFAULT);
    expect(errnoOf(() => file.write([LHREQ_INITIALIZE, 0, 0.5, 0]))).toBe(EFAULT);
    expect(errnoOf(() => file.write([LHREQ_INITIALIZE, 0, MEM / 4096 + 1, CODE_GPA]))).toBe(EINVAL);
    expect(errnoOf(() => file.write([LHREQ_INITIALIZE, 4096, MEM / 4096, CODE_GPA]))).toBe(EINVAL);
    expect(errnoOf(() => file.write([LHREQ_INITIALIZE, MEM + 1, 0, CODE_GPA]))).toBe(EINVAL);
    expect(file.write([LHREQ_INITIALIZE, 0, MEM / 4096, CODE_GPA])).toBe(12);
    expect(errnoOf(() => file.write([LHREQ_INITIALIZE, 0, MEM / 4096, CODE_GPA]))).toBe(EBUSY);
    expect(errnoOf(() => file.share().write([LHREQ_INITIALIZE, 0, 1, 0]))).toBe(EBUSY);
  });

  it('refuses non-shared memory with EINVAL', () => {
    const file = openLguest({ memory: new GuestMemory(new ArrayBuffer(MEM)) });
    expect(errnoOf(() => file.write([LHREQ_INITIALIZE, 0, 16, 0]))).toBe(EINVAL);
    file.close();
  });
});

describe('requests after INITIALIZE', () => {
  it('IRQ >= 32, unknown requests, GETDMA and CPU 1 are EINVAL; EVENTFD checks its words', async () => {
    const file = start(codeMemory(initCode().spin()));
    expect(errnoOf(() => file.write([LHREQ_IRQ, 32]))).toBe(EINVAL);
    expect(errnoOf(() => file.write([LHREQ_IRQ]))).toBe(EFAULT);
    expect(file.write([LHREQ_IRQ, 31])).toBe(0);
    expect(errnoOf(() => file.write([LHREQ_GETDMA]))).toBe(EINVAL);
    expect(errnoOf(() => file.write([8]))).toBe(EINVAL);
    expect(errnoOf(() => file.write([LHREQ_IRQ, 1], 1))).toBe(EINVAL);
    expect(await rejection(file.read(1))).toBe(EINVAL);
    expect(errnoOf(() => file.write([LHREQ_EVENTFD, 0, 1]))).toBe(EINVAL);
    expect(errnoOf(() => file.write([LHREQ_EVENTFD, 0x3000]))).toBe(EFAULT);
    expect(errnoOf(() => file.write([LHREQ_EVENTFD, 0x3000, 99]))).toBe(EBADF);
  });

  it('a handle that did not INITIALIZE may raise IRQs but not read (EPERM)', async () => {
    const memory = codeMemory(haltingCode());
    const file = start(memory);
    const other = file.share();
    expect(await rejection(other.read())).toBe(EPERM);
    expect(other.write([LHREQ_IRQ, 3])).toBe(0);
    expect(text(memory, (await file.read()) as number)).toBe('irq');
  });
});

describe('read() runs the guest in its worker', () => {
  it('boots lguest-hello: NOTIFYs, then the death reason, again on every read; writes get ENOENT', async () => {
    const { memory, entry } = imageMemory('lguest-hello');
    const events: TraceEvent[] = [];
    const file = start(memory, entry, { trace: (e) => events.push(e) });
    let console = '';
    for (;;) {
      const value = await file.read();
      if (typeof value === 'string') {
        expect(value).toBe('CRASH: Power down');
        break;
      }
      console += text(memory, value);
    }
    expect(console).toBe('Hello from an lguest guest!\n');
    expect(await file.read()).toBe('CRASH: Power down');
    expect(await file.run()).toEqual({ kind: 'dead', reason: 'CRASH: Power down' });
    expect(errnoOf(() => file.write([LHREQ_IRQ, 1]))).toBe(ENOENT);
    expect(file.dead).toBe(true);
    expect(events.some((e) => e.kind === 'hypercall')).toBe(true);
    expect(events.at(-1)).toEqual({ kind: 'kill', reason: 'CRASH: Power down' });
  });

  it('a second concurrent read is EBUSY; BREAK(1) ends the running read with EAGAIN until BREAK(0)', async () => {
    const file = start(codeMemory(initCode().spin()));
    const running = file.read();
    expect(await rejection(file.read())).toBe(EBUSY);
    await sleep(20);
    let released = false;
    const broken = (file.write([LHREQ_BREAK, 1]) as Promise<number>).then((v) => {
      released = true;
      return v;
    });
    expect(await rejection(running)).toBe(EAGAIN);
    expect(await rejection(file.read())).toBe(EAGAIN);
    expect(await file.run()).toEqual({ kind: 'break' });
    await sleep(5);
    expect(released).toBe(false);
    expect(file.share().write([LHREQ_BREAK, 0])).toBe(0);
    expect(await broken).toBe(0);
    // Running again; close() stops it and the read ends with EINTR.
    const again = file.read();
    await sleep(20);
    expect(file.close()).toBe(0);
    expect(await rejection(again)).toBe(EINTR);
    expect(errnoOf(() => file.write([LHREQ_IRQ, 1]))).toBe(EBADF);
  });

  it('BREAK wakes a halted guest; after BREAK(0) an IRQ reaches its handler', async () => {
    const memory = codeMemory(haltingCode());
    const file = start(memory);
    const running = file.read();
    await sleep(30);
    const broken = file.write([LHREQ_BREAK, 1]) as Promise<number>;
    expect(await rejection(running)).toBe(EAGAIN);
    file.write([LHREQ_BREAK, 0]);
    await broken;
    const woken = file.read();
    await sleep(20);
    file.irq(3);
    expect(text(memory, (await woken) as number)).toBe('irq');
    expect(await file.read()).toBe('CRASH: off');
  });

  it('EVENTFD: a registered address signals its notifier (callback or port) and the guest runs on', async () => {
    for (const kind of ['callback', 'port'] as const) {
      const file = start(codeMemory(haltingCode()));
      const seen: number[] = [];
      let id: number;
      if (kind === 'callback') {
        id = file.registerNotify((value) => seen.push(value));
      } else {
        const channel = new MessageChannel();
        channel.port1.on('message', (value: number) => seen.push(value));
        open.push({ close: () => channel.port1.close() } as unknown as LguestFile);
        id = file.registerNotify(channel.port2);
      }
      expect(file.write([LHREQ_EVENTFD, 0x3000, id])).toBe(0);
      file.irq(3);
      expect(await file.read()).toBe('CRASH: off');
      for (let i = 0; i < 400 && seen.length === 0; i++) await sleep(5);
      expect(seen).toEqual([0x3000]);
    }
  });

  it('EVENTFD callbacks get every NOTIFY in guest order, all before the read that follows them', async () => {
    // 600 registered NOTIFYs (more than the run channel's ring holds, so the vCPU thread must wait for
    // this thread to drain it), then one unregistered NOTIFY that ends the read.
    const code = initCode();
    for (let i = 0; i < 300; i++) code.hcall(LHCALL_NOTIFY, 0x3000).hcall(LHCALL_NOTIFY, 0x3004);
    code.hcall(LHCALL_NOTIFY, 0x3008).hcall(LHCALL_SHUTDOWN, 0x3004, 1);
    const file = start(codeMemory(code));
    const seen: number[] = [];
    const id = file.registerNotify((value) => seen.push(value));
    file.write([LHREQ_EVENTFD, 0x3000, id]);
    file.write([LHREQ_EVENTFD, 0x3004, id]);
    expect(await file.read()).toBe(0x3008);
    expect(seen).toHaveLength(600);
    expect(seen.every((value, i) => value === (i % 2 === 0 ? 0x3000 : 0x3004))).toBe(true);
    expect(await file.read()).toBe('CRASH: off');
    expect(seen).toHaveLength(600);
  });

  it('closing from an EVENTFD callback ends the read with EINTR, even with the vCPU waiting on a full ring', async () => {
    const code = initCode();
    for (let i = 0; i < 600; i++) code.hcall(LHCALL_NOTIFY, 0x3000);
    code.hcall(LHCALL_SHUTDOWN, 0x3004, 1);
    const file = start(codeMemory(code));
    let calls = 0;
    const id = file.registerNotify(() => {
      calls++;
      file.close();
    });
    file.write([LHREQ_EVENTFD, 0x3000, id]);
    expect(await rejection(file.read())).toBe(EINTR);
    expect(calls).toBe(1); // nothing is delivered after the close
  });

  it('nothing polls: an idle vCPU thread and a halted guest cost no CPU time', async () => {
    const file = start(codeMemory(haltingCode()));
    // Idle between reads: the thread sleeps on the run channel.
    await sleep(50);
    let before = process.cpuUsage();
    await sleep(300);
    let spent = process.cpuUsage(before);
    expect((spent.user + spent.system) / 1000).toBeLessThan(100);
    // Halted inside a read: the thread sleeps in Atomics.wait until the IRQ.
    const running = file.read();
    await sleep(50);
    before = process.cpuUsage();
    await sleep(300);
    spent = process.cpuUsage(before);
    expect((spent.user + spent.system) / 1000).toBeLessThan(100);
    file.irq(3);
    expect(await running).toBe(0x3000);
  });

  it('a restart request reads as ERESTART, for good', async () => {
    const { memory, entry } = imageMemory('lguest-shutdown-restart');
    const file = start(memory, entry);
    let errno = 0;
    for (let i = 0; i < 100 && errno === 0; i++) errno = await rejection(file.read());
    expect(errno).toBe(ERESTART);
    expect(await rejection(file.read())).toBe(ERESTART);
    expect(await file.run()).toEqual({ kind: 'restart' });
    expect(errnoOf(() => file.write([LHREQ_IRQ, 0]))).toBe(ENOENT);
  });

  it('a vCPU thread that runs out of memory ends the guest with ENOMEM', async () => {
    const memory = codeMemory(initCode().spin());
    const file = openLguest({
      memory,
      resourceLimits: { maxOldGenerationSizeMb: 1, maxYoungGenerationSizeMb: 1 },
    });
    open.push(file);
    file.write([LHREQ_INITIALIZE, 0, MEM / 4096, CODE_GPA]);
    expect(await rejection(file.read())).toBe(ENOMEM);
    expect(await rejection(file.read())).toBe(ENOMEM);
  });
});

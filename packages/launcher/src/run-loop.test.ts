/**
 * The run loop over the Host's real file and worker-hosted vCPU: with the vrings registered through
 * `LHREQ_EVENTFD` (the default) block and console-receive kicks are serviced while the guest runs
 * and no `read()` ends for one — only the console's transmit queue, which the guest spins on, still
 * ends reads; with `eventfds: false` every kick ends a read. The virtio-block guest passes either way.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEVICE_PAGES, GuestMemory, PAGE_SIZE } from '@lguest/abi';
import { BlockDevice, ConsoleDevice, LguestBus } from '@lguest/devices';
import { openLguest } from '@lguest/hypervisor';
import { parseElf32 } from '@lguest/x86';
import { afterAll, describe, expect, it } from 'vitest';
import { guestImage } from '../../../tools/guests/images.js';
import { writeBootPage } from './boot-page.js';
import { FileTransport } from './file-transport.js';
import { runGuest } from './run-loop.js';

const RAM = 32 << 20;
const dir = mkdtempSync(join(tmpdir(), 'lguest-run-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function boot(eventfds: boolean) {
  const memory = new GuestMemory(new SharedArrayBuffer(RAM + DEVICE_PAGES * PAGE_SIZE));
  const elf = parseElf32(new Uint8Array(readFileSync(guestImage('lguest-virtio-block'))));
  for (const segment of elf.segments) memory.bytes.set(segment.data, segment.paddr);
  writeBootPage(memory, { ramBytes: RAM, commandLine: Uint8Array.of(0), initrd: undefined });
  const disk = join(dir, `disk-${eventfds}.img`);
  writeFileSync(
    disk,
    Uint8Array.from({ length: 65536 }, (_, n) => ((n >> 9) + (n & 511)) & 0xff),
  );

  const file = openLguest({ memory });
  const transport = new FileTransport(memory, () => file.close());
  const bus = new LguestBus(transport, { ramSize: RAM, listen: false });
  bus.add(BlockDevice.open(disk));
  let console = '';
  bus.add(
    new ConsoleDevice({
      output: (chunk) => {
        console += Buffer.from(chunk).toString();
      },
    }),
  );
  memory.setPfnLimit(bus.limit / PAGE_SIZE);
  transport.attach(file);
  file.initialize(0, bus.limit / PAGE_SIZE, elf.entry);

  // Every value a read() ends with, and every NOTIFY the loop traces (read or eventfd).
  const read = file.read.bind(file);
  const values: (number | string)[] = [];
  file.read = async (cpu?: number) => {
    const value = await read(cpu);
    values.push(value);
    return value;
  };
  const traced: string[] = [];
  const end = await runGuest(file, bus, transport.killer, { eventfds, trace: (line) => traced.push(line) });
  file.close();
  bus.close();
  // The queues whose kicks go through LHREQ_EVENTFD, and the one the guest spins on (console tx).
  const evented = new Set<number>();
  const spun = new Set<number>();
  for (const placed of bus.devices) {
    for (const [i, q] of placed.queues.entries()) {
      (placed.device.queues[i].guestSpins ? spun : evented).add(q.gpa);
    }
  }
  const kicks = (set: Set<number>) => values.filter((v) => typeof v === 'number' && set.has(v));
  return { end, console, readKicks: kicks(evented), spunKicks: kicks(spun), traced };
}

describe('runGuest', () => {
  it('services kicks through LHREQ_EVENTFD while the guest runs: no read ends for one', async () => {
    const run = await boot(true);
    expect(run.end).toEqual({ kind: 'poweroff' });
    expect(run.console).toMatch(/virtio-block: 20 passed, 0 failed/);
    expect(run.readKicks).toEqual([]);
    // The console's transmit queue is the exception: the guest spins on it, so its kicks end reads.
    expect(run.spunKicks.length).toBeGreaterThan(0);
    // The kicks still reach the bus, and -v still shows them.
    expect(run.traced.filter((line) => line.endsWith(': kick')).length).toBeGreaterThan(20);
  });

  it('with eventfds off, kicks end reads and the guest passes all the same', async () => {
    const run = await boot(false);
    expect(run.end).toEqual({ kind: 'poweroff' });
    expect(run.console).toMatch(/virtio-block: 20 passed, 0 failed/);
    // Every block request and console-receive buffer now ends a read of its own.
    expect(run.readKicks.length).toBeGreaterThan(10);
  });
});

/**
 * Device-path benchmarks: block sequential read throughput through the vring path (header, 4 KiB
 * data segments, status byte; a batch of requests per kick, as a blk-mq guest sends them) against
 * the host reading the same file directly, and console transmit throughput (one buffer per kick, as
 * hvc writes, with the guest waiting for each to be used). The "guest" reuses one set of descriptors,
 * so what is measured is the device side: the checked walk, the I/O, the used ring and the interrupt.
 * Prints one JSON line per measurement on stdout; notes go to stderr.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEVICE_PAGES,
  DeviceDescView,
  GuestMemory,
  PAGE_SIZE,
  VIRTIO_BLK_T_IN,
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VringView,
} from '@lguest/abi';
import { BlockDevice, ConsoleDevice, LguestBus, LocalTransport } from '../src/index.js';

const DISK_BYTES = 64 << 20;
const SEGMENT = 4096;
const SEGMENTS = 32; // 128 KiB per request
const REQUEST = SEGMENT * SEGMENTS;
const BATCH = 7; // requests per kick: 7 × 34 descriptors fill most of a 256-entry ring
const RAM = 16 << 20;
const ROUNDS = 5;

function emit(
  name: string,
  metric: string,
  value: number,
  unit: string,
  extra: Record<string, number> = {},
): void {
  process.stdout.write(`${JSON.stringify({ bench: `devices/${name}`, metric, value, unit, ...extra })}\n`);
}

function best(run: () => number): number {
  run();
  let top = 0;
  for (let r = 0; r < ROUNDS; r++) top = Math.max(top, run());
  return top;
}

/** One guest with the given devices, every device started with no features. */
function guestWith(add: (bus: LguestBus) => void) {
  const memory = new GuestMemory(new SharedArrayBuffer(RAM + DEVICE_PAGES * PAGE_SIZE));
  const transport = new LocalTransport(memory);
  const bus = new LguestBus(transport, { ramSize: RAM });
  add(bus);
  memory.setPfnLimit(bus.limit / PAGE_SIZE);
  let at = RAM;
  const descs: DeviceDescView[] = [];
  for (const _ of bus.devices) {
    const desc = new DeviceDescView(memory, at);
    desc.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    transport.notify(desc.gpa);
    descs.push(desc);
    at += desc.size;
  }
  return { memory, transport, bus, descs };
}

const dir = mkdtempSync(join(tmpdir(), 'lguest-devices-bench-'));
try {
  const path = join(dir, 'disk.img');
  const data = Buffer.alloc(DISK_BYTES);
  for (let i = 0; i < data.length; i += 4096) data[i] = i >>> 12;
  writeFileSync(path, data);

  // --- block: through the vring ---
  const { memory, transport, descs } = guestWith((bus) => bus.add(BlockDevice.open(path)));
  const desc = descs[0];
  const ring = new VringView(memory, desc.vqPfn(0) * PAGE_SIZE, desc.vqNum(0));
  const perChain = SEGMENTS + 2;
  const headers = 0x1000;
  const buffers = 0x10_0000;
  for (let r = 0; r < BATCH; r++) {
    const first = r * perChain;
    ring.setDesc(first, headers + 16 * r, 16, VRING_DESC_F_NEXT, first + 1);
    for (let s = 0; s < SEGMENTS; s++) {
      ring.setDesc(
        first + 1 + s,
        buffers + r * REQUEST + s * SEGMENT,
        SEGMENT,
        VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
        first + 2 + s,
      );
    }
    ring.setDesc(first + 1 + SEGMENTS, 0x8000 + r, 1, VRING_DESC_F_WRITE, 0);
    memory.write32(headers + 16 * r, VIRTIO_BLK_T_IN);
  }
  let avail = 0;
  let checksum = 0;
  const readThroughVring = (): number => {
    const start = process.hrtime.bigint();
    for (let sector = 0; sector < DISK_BYTES / 512; sector += (BATCH * REQUEST) / 512) {
      const requests = Math.min(BATCH, (DISK_BYTES - sector * 512) / REQUEST);
      for (let r = 0; r < requests; r++) {
        memory.write64(headers + 16 * r + 8, BigInt(sector + (r * REQUEST) / 512));
        ring.setAvailRing(avail, r * perChain);
        avail = (avail + 1) & 0xffff;
      }
      ring.setAvailIdx(avail);
      transport.notify(ring.gpa);
      transport.takeIrqs();
      checksum ^= memory.read8(buffers);
    }
    if (ring.usedIdx() !== avail)
      throw new Error(`block bench: requests left unanswered (${transport.killer.reason})`);
    return DISK_BYTES / 2 ** 20 / (Number(process.hrtime.bigint() - start) / 1e9);
  };
  const direct = Buffer.alloc(REQUEST);
  const readDirect = (): number => {
    const fd = openSync(path, 'r');
    const start = process.hrtime.bigint();
    for (let off = 0; off < DISK_BYTES; off += REQUEST) {
      readSync(fd, direct, 0, REQUEST, off);
      checksum ^= direct[0];
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    closeSync(fd);
    return DISK_BYTES / 2 ** 20 / seconds;
  };
  const vringMBs = best(readThroughVring);
  const directMBs = best(readDirect);
  emit('block-seq-read', 'throughput', vringMBs, 'MiB/s', {
    baseline: directMBs,
    ratio: vringMBs / directMBs,
  });
  process.stderr.write(
    `block sequential read, ${REQUEST / 1024} KiB requests × ${BATCH} per kick: ${vringMBs.toFixed(0)} MiB/s through the vring, ${directMBs.toFixed(0)} MiB/s direct (page cache)\n`,
  );

  // --- console transmit ---
  for (const size of [16, 4096]) {
    let bytes = 0;
    const hvc = guestWith((bus) =>
      bus.add(
        new ConsoleDevice({
          output: (chunk) => {
            bytes += chunk.length;
          },
        }),
      ),
    );
    const cdesc = hvc.descs[0];
    const tx = new VringView(hvc.memory, cdesc.vqPfn(1) * PAGE_SIZE, cdesc.vqNum(1));
    tx.setAvailFlags(VRING_AVAIL_F_NO_INTERRUPT);
    tx.setDesc(0, 0x1000, size, 0, 0);
    let idx = 0;
    const writes = size === 16 ? 500_000 : 50_000;
    const transmit = (): number => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < writes; i++) {
        tx.setAvailRing(idx, 0);
        idx = (idx + 1) & 0xffff;
        tx.setAvailIdx(idx);
        hvc.transport.notify(tx.gpa);
        if (tx.usedIdx() !== idx) throw new Error('console bench: buffer not used');
      }
      return writes / (Number(process.hrtime.bigint() - start) / 1e9);
    };
    const perSecond = best(transmit);
    emit(`console-tx-${size}`, 'writes', perSecond, 'writes/s');
    emit(`console-tx-${size}`, 'throughput', (perSecond * size) / 2 ** 20, 'MiB/s');
    process.stderr.write(
      `console transmit, ${size}-byte buffers: ${perSecond.toFixed(0)} writes/s (${bytes} bytes sunk)\n`,
    );
  }
  process.stderr.write(`(checksum ${checksum})\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

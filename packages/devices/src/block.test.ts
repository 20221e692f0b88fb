import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_F_SEG_MAX,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_BARRIER,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VIRTIO_BLK_T_SCSI_CMD,
  VIRTIO_ID_BLOCK,
} from '@lguest/abi';
import { BlockDevice, featureBit } from '@lguest/devices';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GuestQueue, TestGuest } from '../test/guest-driver.js';

const SECTORS = 64;
let dir: string;
let path: string;
let original: Buffer;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lguest-block-'));
  path = join(dir, 'disk.img');
  original = Buffer.alloc(SECTORS * 512);
  for (let i = 0; i < original.length; i++) original[i] = (i * 7 + (i >> 9)) & 0xff;
  writeFileSync(path, original);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function header(type: number, sector: number | bigint): Uint8Array {
  const h = new Uint8Array(16);
  const v = new DataView(h.buffer);
  v.setUint32(0, type >>> 0, true);
  v.setUint32(4, 0, true);
  v.setBigUint64(8, BigInt(sector), true);
  return h;
}

function blockGuest(device = BlockDevice.open(path)) {
  const guest = new TestGuest([device]);
  const [d] = guest.probeAll();
  return { device, guest, d, q: d.queue(0) };
}

/** Posts one request, kicks, and returns its used length and the status byte. */
function request(guest: TestGuest, q: GuestQueue, out: Uint8Array[], inLens: number[]) {
  const posted = q.post(out, inLens);
  q.kick();
  const used = q.takeUsed();
  expect(used).toHaveLength(1);
  expect(used[0].id).toBe(posted.head);
  const last = posted.in.length - 1;
  const status = guest.peek(posted.in[last] + inLens[last] - 1, 1)[0];
  return { len: used[0].len, status, posted };
}

describe('block device', () => {
  it('offers SEG_MAX and FLUSH with capacity and seg_max in config', () => {
    const { d, device } = blockGuest();
    expect(d.type).toBe(VIRTIO_ID_BLOCK);
    expect(d.offered()).toBe((featureBit(VIRTIO_BLK_F_SEG_MAX) | featureBit(VIRTIO_BLK_F_FLUSH)) >>> 0);
    const config = d.desc.configGpa();
    expect(d.guest.memory.read64(config)).toBe(BigInt(SECTORS));
    expect(d.guest.memory.read32(config + 12)).toBe(254);
    expect(device.capacity).toBe(SECTORS);
    device.close();
  });

  it('reads sectors into a multi-segment chain as a 3.10 driver lays it out', () => {
    const { guest, q, device } = blockGuest();
    const { len, status, posted } = request(guest, q, [header(VIRTIO_BLK_T_IN, 3)], [512, 1024, 1]);
    expect(status).toBe(VIRTIO_BLK_S_OK);
    expect(len).toBe(1536 + 1);
    const got = Buffer.concat([guest.peek(posted.in[0], 512), guest.peek(posted.in[1], 1024)]);
    expect(got.equals(original.subarray(3 * 512, 6 * 512))).toBe(true);
    expect(guest.irqs).toEqual([q.irq]);
    device.close();
  });

  it('writes sectors to the file before completing, and flushes', () => {
    const { guest, q, device } = blockGuest();
    const data = Buffer.alloc(1024, 0xab);
    const w = request(
      guest,
      q,
      [header(VIRTIO_BLK_T_OUT, 10), data.subarray(0, 100), data.subarray(100)],
      [1],
    );
    expect([w.status, w.len]).toEqual([VIRTIO_BLK_S_OK, 1]);
    // The last sector of the disk is writable too.
    const last = request(guest, q, [header(VIRTIO_BLK_T_OUT, SECTORS - 1), Buffer.alloc(512, 0xcd)], [1]);
    expect(last.status).toBe(VIRTIO_BLK_S_OK);
    const file = readFileSync(path);
    expect(file.subarray(10 * 512, 12 * 512).equals(data)).toBe(true);
    expect(file.subarray(0, 10 * 512).equals(original.subarray(0, 10 * 512))).toBe(true);
    expect(
      file.subarray(12 * 512, (SECTORS - 1) * 512).equals(original.subarray(12 * 512, (SECTORS - 1) * 512)),
    ).toBe(true);
    expect(file.subarray((SECTORS - 1) * 512).equals(Buffer.alloc(512, 0xcd))).toBe(true);
    expect(file.length).toBe(SECTORS * 512);
    const f = request(guest, q, [header(VIRTIO_BLK_T_FLUSH, 0)], [1]);
    expect([f.status, f.len]).toEqual([VIRTIO_BLK_S_OK, 1]);
    device.close();
  });

  it('finds the header and data wherever the descriptor boundaries fall', () => {
    const { guest, q, device } = blockGuest();
    const whole = Buffer.concat([Buffer.from(header(VIRTIO_BLK_T_OUT, 1)), Buffer.alloc(512, 0x5a)]);
    const r = request(guest, q, [whole.subarray(0, 5), whole.subarray(5, 20), whole.subarray(20)], [1]);
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(readFileSync(path).subarray(512, 1024).equals(Buffer.alloc(512, 0x5a))).toBe(true);
    // A read whose status byte shares the last buffer with data.
    const posted = q.post([header(VIRTIO_BLK_T_IN | VIRTIO_BLK_T_BARRIER, 1)], [513]);
    q.kick();
    expect(q.takeUsed()).toEqual([{ id: posted.head, len: 513 }]);
    expect(guest.peek(posted.in[0], 513)).toEqual(
      new Uint8Array([...Buffer.alloc(512, 0x5a), VIRTIO_BLK_S_OK]),
    );
    device.close();
  });

  it('moves requests of more segments than one readv/writev takes', () => {
    const { guest, q, device } = blockGuest(BlockDevice.open(path, { queueSize: 2048 }));
    const segments = 1100; // above Linux's IOV_MAX of 1024
    const pieces = Array.from({ length: segments }, (_, i) => Buffer.alloc(16, i & 0xff));
    const w = request(guest, q, [header(VIRTIO_BLK_T_OUT, 2), ...pieces], [1]);
    expect(w.status).toBe(VIRTIO_BLK_S_OK);
    const expected = Buffer.concat(pieces);
    expect(
      readFileSync(path)
        .subarray(1024, 1024 + expected.length)
        .equals(expected),
    ).toBe(true);
    const r = request(guest, q, [header(VIRTIO_BLK_T_IN, 2)], [...Array(segments).fill(16), 1]);
    expect([r.status, r.len]).toEqual([VIRTIO_BLK_S_OK, segments * 16 + 1]);
    const back = Buffer.concat(r.posted.in.slice(0, segments).map((gpa) => guest.peek(gpa, 16)));
    expect(back.equals(expected)).toBe(true);
    device.close();
  });

  it('answers GET_ID with the id, NUL padded to 20 bytes', () => {
    const device = BlockDevice.open(path, { id: 'lguest-disk' });
    const { guest, q } = blockGuest(device);
    const { status, len, posted } = request(guest, q, [header(VIRTIO_BLK_T_GET_ID, 0)], [20, 1]);
    expect([status, len]).toEqual([VIRTIO_BLK_S_OK, 21]);
    expect(Buffer.from(guest.peek(posted.in[0], 20)).toString('latin1')).toBe('lguest-disk'.padEnd(20, '\0'));
    device.close();
  });

  it('answers out-of-range requests with IOERR and never touches the file', () => {
    const { guest, q, device } = blockGuest();
    const cases: [number, number | bigint, number][] = [
      [VIRTIO_BLK_T_OUT, SECTORS, 512], // starts at the end
      [VIRTIO_BLK_T_OUT, SECTORS - 1, 1024], // runs past the end
      [VIRTIO_BLK_T_OUT, 0xffff_ffff_ffff_ffffn, 512], // sector * 512 overflows 64 bits
      [VIRTIO_BLK_T_OUT, 1n << 55n, 512],
      [VIRTIO_BLK_T_IN, SECTORS, 512],
      [VIRTIO_BLK_T_IN, SECTORS - 1, 1024],
    ];
    for (const [type, sector, bytes] of cases) {
      const r =
        type === VIRTIO_BLK_T_OUT
          ? request(guest, q, [header(type, sector), Buffer.alloc(bytes, 0xee)], [1])
          : request(guest, q, [header(type, sector)], [bytes, 1]);
      expect([r.status, r.len]).toEqual([VIRTIO_BLK_S_IOERR, 1]);
    }
    expect(readFileSync(path).equals(original)).toBe(true);
    expect(guest.dead).toBe(false);
    device.close();
  });

  it('answers malformed and unknown requests without crashing', () => {
    const { guest, q, device } = blockGuest();
    // A header shorter than 16 bytes.
    expect(request(guest, q, [header(VIRTIO_BLK_T_OUT, 0).subarray(0, 10)], [1]).status).toBe(
      VIRTIO_BLK_S_IOERR,
    );
    // SCSI commands and unknown types.
    expect(request(guest, q, [header(VIRTIO_BLK_T_SCSI_CMD, 0)], [1]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(request(guest, q, [header(0x77, 0)], [1]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    // No writable byte at all: nowhere to put a status; completed with length 0.
    const posted = q.post([header(VIRTIO_BLK_T_IN, 0)]);
    q.kick();
    expect(q.takeUsed()).toEqual([{ id: posted.head, len: 0 }]);
    expect(readFileSync(path).equals(original)).toBe(true);
    expect(guest.dead).toBe(false);
    device.close();
  });

  it('offers RO for a file it may not write, and rejects writes with IOERR', () => {
    chmodSync(path, 0o444);
    let ro = BlockDevice.open(path);
    if (!ro.readOnly) {
      // Root may write anyway: then ask for read-only explicitly.
      ro.close();
      ro = BlockDevice.open(path, { readOnly: true });
    }
    const { guest, q, d } = blockGuest(ro);
    expect(ro.readOnly).toBe(true);
    expect(d.offered() & featureBit(VIRTIO_BLK_F_RO)).not.toBe(0);
    const w = request(guest, q, [header(VIRTIO_BLK_T_OUT, 0), Buffer.alloc(512, 1)], [1]);
    expect(w.status).toBe(VIRTIO_BLK_S_IOERR);
    const r = request(guest, q, [header(VIRTIO_BLK_T_IN, 0)], [512, 1]);
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(request(guest, q, [header(VIRTIO_BLK_T_FLUSH, 0)], [1]).status).toBe(VIRTIO_BLK_S_OK);
    expect(readFileSync(path).equals(original)).toBe(true);
    ro.close();
  });

  it('completes a batch of requests in order with one interrupt (a blk-mq batch)', () => {
    const { guest, q, device } = blockGuest();
    const heads = Array.from({ length: 32 }, (_, i) => q.post([header(VIRTIO_BLK_T_IN, i)], [512, 1]).head);
    q.kick();
    expect(q.takeUsed().map((u) => u.id)).toEqual(heads);
    expect(guest.irqs).toEqual([q.irq]);
    device.close();
  });

  it('throws the file system error for a missing file', () => {
    expect(() => BlockDevice.open(join(dir, 'missing.img'))).toThrow(/ENOENT/);
  });
});

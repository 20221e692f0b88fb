/**
 * Model-based fuzzing of the block device: random requests (every type, sectors around and far past
 * the end, headers split or cut short, data in odd-sized segments, status bytes sharing a buffer with
 * data or missing) are checked against a shadow copy of the disk. Every request completes with the
 * status the model predicts, reads return the shadow's bytes, the file always equals the shadow, and
 * it never grows.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_BARRIER,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VIRTIO_BLK_T_SCSI_CMD,
} from '@lguest/abi';
import { BlockDevice } from '@lguest/devices';
import { expect, it } from 'vitest';
import { seededRandom } from '../../../tools/testing/random.js';
import { TestGuest } from '../test/guest-driver.js';

const ITERATIONS = 3000;
const SECTORS = 16;

/** Splits `bytes` into 1–3 pieces at random points. */
function split(bytes: Uint8Array, int: (n: number) => number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let at = 0;
  const cuts = int(3);
  for (let i = 0; i < cuts && at < bytes.length; i++) {
    const next = at + 1 + int(bytes.length - at);
    pieces.push(bytes.subarray(at, next));
    at = next;
  }
  if (at < bytes.length || pieces.length === 0) pieces.push(bytes.subarray(at));
  return pieces;
}

it(`answers ${ITERATIONS} random requests exactly as a model of the disk predicts`, () => {
  const random = seededRandom(0xb10c);
  const int = (n: number) => Math.floor(random() * n);
  const dir = mkdtempSync(join(tmpdir(), 'lguest-block-fuzz-'));
  try {
    const path = join(dir, 'disk.img');
    const shadow = Buffer.alloc(SECTORS * 512 + 77); // a tail that is not a whole sector
    for (let i = 0; i < shadow.length; i++) shadow[i] = int(256);
    writeFileSync(path, shadow);
    const device = BlockDevice.open(path, { id: 'fuzz' });
    const guest = new TestGuest([device]);
    const q = guest.probeAll()[0].queue(0);
    const capacityBytes = SECTORS * 512;
    const types = [
      VIRTIO_BLK_T_IN,
      VIRTIO_BLK_T_OUT,
      VIRTIO_BLK_T_FLUSH,
      VIRTIO_BLK_T_GET_ID,
      VIRTIO_BLK_T_SCSI_CMD,
      VIRTIO_BLK_T_OUT | VIRTIO_BLK_T_BARRIER,
    ];

    const seen = new Map<string, number>();
    for (let n = 0; n < ITERATIONS; n++) {
      guest.resetHeap();
      const type = random() < 0.9 ? types[int(types.length)] : int(0x1_0000_0000);
      const sector =
        random() < 0.85
          ? BigInt(int(SECTORS + 3))
          : BigInt(int(0x1_0000_0000)) * 0x1_0000_0000n + BigInt(int(99));
      const headerLen = random() < 0.05 ? int(16) : 16;
      const dataOut =
        (type & ~VIRTIO_BLK_T_BARRIER) >>> 0 === VIRTIO_BLK_T_OUT ? int(3000) : int(4) === 0 ? int(40) : 0;
      const out = new Uint8Array(headerLen + dataOut);
      const view = new DataView(out.buffer);
      const full = new Uint8Array(16);
      const fullView = new DataView(full.buffer);
      fullView.setUint32(0, type >>> 0, true);
      fullView.setBigUint64(8, sector, true);
      out.set(full.subarray(0, headerLen));
      for (let i = headerLen; i < out.length; i++) view.setUint8(i, int(256));
      const inLens = Array.from({ length: int(4) }, () => int(1600));
      if (random() < 0.9) inLens.push(1 + int(2));
      const inBytes = inLens.reduce((a, b) => a + b, 0);
      const outPieces = out.length > 0 ? split(out, int) : [];
      if (outPieces.length + inLens.length === 0) continue;

      // The model reads the header from the first 16 bytes of the readable stream, as a device must.
      const headerOk = out.length >= 16;
      const kind = headerOk ? (view.getUint32(0, true) & ~VIRTIO_BLK_T_BARRIER) >>> 0 : -1;
      const offset = headerOk ? view.getBigUint64(8, true) * 512n : 0n;
      const written = out.length - 16;
      const dataIn = inBytes - 1;
      let status: number = VIRTIO_BLK_S_IOERR;
      let len = 1;
      let expectRead: Buffer | undefined;
      if (inBytes === 0) {
        len = 0;
      } else if (headerOk) {
        if (kind === VIRTIO_BLK_T_IN) {
          if (offset + BigInt(dataIn) <= BigInt(capacityBytes)) {
            status = VIRTIO_BLK_S_OK;
            len = inBytes;
            expectRead = shadow.subarray(Number(offset), Number(offset) + dataIn);
          }
        } else if (kind === VIRTIO_BLK_T_OUT) {
          if (offset + BigInt(written) <= BigInt(capacityBytes)) {
            status = VIRTIO_BLK_S_OK;
            shadow.set(out.subarray(16), Number(offset));
          }
        } else if (kind === VIRTIO_BLK_T_FLUSH) {
          status = VIRTIO_BLK_S_OK;
        } else if (kind === VIRTIO_BLK_T_GET_ID) {
          status = VIRTIO_BLK_S_OK;
          len = Math.min(dataIn, 20) + 1;
        } else {
          status = VIRTIO_BLK_S_UNSUPP;
        }
      }

      const outcome = `${kind === VIRTIO_BLK_T_IN || kind === VIRTIO_BLK_T_OUT ? kind : 'other'}/${len === 0 ? '-' : status}`;
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      const posted = q.post(outPieces, inLens);
      q.kick();
      const used = q.takeUsed();
      expect(guest.dead).toBe(false);
      expect(used).toEqual([{ id: posted.head, len }]);
      if (inBytes > 0) {
        const stream = Buffer.concat(posted.in.map((gpa, i) => guest.peek(gpa, inLens[i])));
        expect(stream[inBytes - 1]).toBe(status);
        if (expectRead) expect(stream.subarray(0, dataIn).equals(expectRead)).toBe(true);
      }
      if (n % 500 === 0) expect(readFileSync(path).equals(shadow)).toBe(true);
    }
    expect(readFileSync(path).equals(shadow)).toBe(true);
    // Reads and writes both succeed and fail often; every status and the no-status case occur.
    for (const outcome of ['0/0', '0/1', '1/0', '1/1', 'other/0', 'other/1', 'other/2']) {
      expect(seen.get(outcome) ?? 0, outcome).toBeGreaterThan(20);
    }
    expect([...seen.keys()].some((k) => k.endsWith('/-'))).toBe(true);
    device.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

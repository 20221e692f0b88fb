/**
 * LOCKed read-modify-write. A locked instruction reads its memory operand with {@link lockedRead},
 * computes, and commits with {@link lockedCommit}, which is a compare-and-exchange: when another
 * thread changed the value meanwhile the commit fails and the instruction recomputes from the new
 * value. On a `SharedArrayBuffer` this makes naturally aligned locked operations atomic across
 * workers (grant pages live in two guests' memories at once); on unshared memory, or for operands
 * that are not naturally aligned, the plain path is used (nothing else can write it concurrently,
 * or the architecture promises nothing a JS engine could give).
 */
import type { HostFrame } from '@lguest/abi';
import type { Cpu } from './cpu.js';
import { frameWritten } from './decode-cache.js';
import { ACCESS_WRITE } from './translation.js';
import { UNBACKED_FRAME } from './unbacked.js';

const views32 = new WeakMap<HostFrame, Int32Array>();
const views16 = new WeakMap<HostFrame, Int16Array>();
const views64 = new WeakMap<HostFrame, BigInt64Array>();

let lockLin = 0;
let lockAtomic = false;
let lockFrame: HostFrame = UNBACKED_FRAME;
let lockIndex = 0;

// The frame of the last locked operation, whether it is shared and its dword view: a kernel's locked
// operations (spinlocks, atomic counters, XCHG with memory in its entry code) keep hitting the same
// few pages, and `instanceof` plus a WeakMap lookup per operation showed in system-call profiles.
let lastFrame: HostFrame = UNBACKED_FRAME;
let lastShared = false;
let lastView32: Int32Array | undefined;

function isShared(frame: HostFrame): boolean {
  if (frame === lastFrame) return lastShared;
  lastFrame = frame;
  lastShared = typeof SharedArrayBuffer !== 'undefined' && frame.bytes.buffer instanceof SharedArrayBuffer;
  lastView32 = undefined;
  return lastShared;
}

function view32(frame: HostFrame): Int32Array | undefined {
  if (frame === lastFrame && lastView32 !== undefined) return lastView32;
  let v = views32.get(frame);
  if (v === undefined && frame.bytes.byteOffset % 4 === 0) {
    v = new Int32Array(frame.bytes.buffer, frame.bytes.byteOffset, 1024);
    views32.set(frame, v);
  }
  if (frame === lastFrame) lastView32 = v;
  return v;
}

function view16(frame: HostFrame): Int16Array | undefined {
  let v = views16.get(frame);
  if (v === undefined && frame.bytes.byteOffset % 2 === 0) {
    v = new Int16Array(frame.bytes.buffer, frame.bytes.byteOffset, 2048);
    views16.set(frame, v);
  }
  return v;
}

/** Reads the locked operand at `lin` (write rights checked); unsigned for 1/2 bytes, signed for 4. */
export function lockedRead(c: Cpu, lin: number, size: number): number {
  lockLin = lin;
  lockAtomic = false;
  const frame = c.frameFor(lin, ACCESS_WRITE, c.cpl === 3);
  const offset = lin & 0xfff;
  if (frame !== UNBACKED_FRAME && (offset & (size - 1)) === 0 && isShared(frame)) {
    lockFrame = frame;
    if (size === 1) {
      lockAtomic = true;
      lockIndex = offset;
      return Atomics.load(frame.bytes, offset);
    }
    if (size === 2) {
      const v = view16(frame);
      if (v !== undefined) {
        lockAtomic = true;
        lockIndex = offset >> 1;
        return Atomics.load(v, lockIndex) & 0xffff;
      }
    } else {
      const v = view32(frame);
      if (v !== undefined) {
        lockAtomic = true;
        lockIndex = offset >> 2;
        return Atomics.load(v, lockIndex);
      }
    }
  }
  return size === 1 ? c.rd8w(lin) : size === 2 ? c.rd16w(lin) : c.rd32w(lin);
}

/**
 * Stores `value` if the operand still holds `expected` (what {@link lockedRead} returned); returns
 * false when another thread changed it first.
 */
export function lockedCommit(c: Cpu, size: number, expected: number, value: number): boolean {
  if (!lockAtomic) {
    if (size === 1) c.wr8(lockLin, value);
    else if (size === 2) c.wr16(lockLin, value);
    else c.wr32(lockLin, value);
    return true;
  }
  let stored: boolean;
  if (size === 1) {
    stored =
      Atomics.compareExchange(lockFrame.bytes, lockIndex, expected & 0xff, value & 0xff) ===
      (expected & 0xff);
  } else if (size === 2) {
    const v = view16(lockFrame) as Int16Array;
    const e = (expected << 16) >> 16;
    stored = Atomics.compareExchange(v, lockIndex, e, (value << 16) >> 16) === e;
  } else {
    const v = view32(lockFrame) as Int32Array;
    stored = Atomics.compareExchange(v, lockIndex, expected | 0, value | 0) === (expected | 0);
  }
  // Atomics write behind the TLB: after the write, a page holding cached code gets a new generation.
  if (stored) frameWritten(lockFrame);
  return stored;
}

function view64(frame: HostFrame): BigInt64Array | undefined {
  let v = views64.get(frame);
  if (v === undefined && frame.bytes.byteOffset % 8 === 0) {
    v = new BigInt64Array(frame.bytes.buffer, frame.bytes.byteOffset, 512);
    views64.set(frame, v);
  }
  return v;
}

/** The 64-bit value CMPXCHG8B found (low, high dwords), set by {@link lockedCompareExchange64}. */
export const found64 = new Int32Array(2);

/**
 * CMPXCHG8B's memory side: compares the qword at `lin` with `expectLo:expectHi` and, if equal, stores
 * `newLo:newHi`, else stores the value found back (the hardware always writes). Atomic across threads
 * for an 8-byte-aligned operand on shared memory. Returns whether they were equal; the value found is
 * left in {@link found64}.
 */
export function lockedCompareExchange64(
  c: Cpu,
  lin: number,
  expectLo: number,
  expectHi: number,
  newLo: number,
  newHi: number,
): boolean {
  const frame = c.frameFor(lin, ACCESS_WRITE, c.cpl === 3);
  const offset = lin & 0xfff;
  if (frame !== UNBACKED_FRAME && (offset & 7) === 0 && isShared(frame)) {
    const v = view64(frame);
    if (v !== undefined) {
      const expected = (BigInt(expectHi) << 32n) | BigInt(expectLo >>> 0);
      const replacement = (BigInt(newHi) << 32n) | BigInt(newLo >>> 0);
      const old = Atomics.compareExchange(
        v,
        offset >> 3,
        BigInt.asIntN(64, expected),
        BigInt.asIntN(64, replacement),
      );
      found64[0] = Number(BigInt.asIntN(32, old));
      found64[1] = Number(BigInt.asIntN(32, old >> 32n));
      frameWritten(frame);
      return found64[0] === (expectLo | 0) && found64[1] === (expectHi | 0);
    }
  }
  // Unshared or unaligned: nothing else can interleave (or the architecture promises nothing).
  const lo = c.rd32w(lin);
  const hi = c.rd32w((lin + 4) | 0);
  found64[0] = lo;
  found64[1] = hi;
  const equal = lo === (expectLo | 0) && hi === (expectHi | 0);
  c.wr32(lin, equal ? newLo : lo);
  c.wr32((lin + 4) | 0, equal ? newHi : hi);
  return equal;
}

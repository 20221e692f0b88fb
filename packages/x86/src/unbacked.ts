/**
 * The frame that stands for "no RAM here". A translation provider returns no frame for a physical
 * page that nothing backs; the CPU then reads all ones and drops writes, as a bus with nothing on it
 * does, instead of throwing. `cpu.ts` never caches write rights to it, so every write reaches the
 * slow path that drops it.
 */
import type { HostFrame } from '@lguest/abi';

const ones = new Uint8Array(4096).fill(0xff);

/** Reads as 0xFF everywhere; writes to it are discarded by the CPU. */
export const UNBACKED_FRAME: HostFrame = Object.freeze({
  bytes: ones,
  id: -1,
  generations: new Int32Array(1),
  page: 0,
});

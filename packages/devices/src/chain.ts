/**
 * One descriptor chain the guest made available, already walked and checked (spec §9.4, §10.3).
 *
 * The virtqueue walker fills a chain: the head index the device completes, then the buffers in
 * order, every readable ("out") buffer before every writable ("in") one, each inside guest memory.
 * Devices treat the out buffers as one byte stream and the in buffers as another, whatever the
 * descriptor boundaries (the guest may split a block header or a net header anywhere), and move data
 * with typed-array copies between those streams and host buffers. A chain object is made once per
 * queue and refilled for every request, so the hot path allocates nothing.
 */
import type { GuestMemory } from '@lguest/abi';

/** The buffers of one available descriptor chain. */
export class DescriptorChain {
  /** The head descriptor index: what the device puts in the used ring. */
  head = 0;
  /** Buffers in the chain: `outCount` readable ones, then the writable ones. */
  count = 0;
  /** Readable (device reads, "out") buffers; they are `addr[0..outCount)`. */
  outCount = 0;
  /** Total bytes of the readable buffers. */
  outBytes = 0;
  /** Total bytes of the writable buffers. */
  inBytes = 0;
  /** Buffer guest-physical addresses (checked: `[addr, addr + len)` lies inside guest memory). */
  readonly addr: Float64Array;
  /** Buffer lengths. */
  readonly len: Float64Array;
  /** The guest memory the buffers live in. */
  readonly memory: GuestMemory;

  /** A chain able to hold `capacity` buffers (a queue's `num`). */
  constructor(memory: GuestMemory, capacity: number) {
    this.memory = memory;
    this.addr = new Float64Array(capacity);
    this.len = new Float64Array(capacity);
  }

  /** Most buffers the chain can hold. */
  get capacity(): number {
    return this.addr.length;
  }

  /** Writable ("in") buffers: they are `addr[outCount..count)`. */
  get inCount(): number {
    return this.count - this.outCount;
  }

  /** Empties the chain before a walk. */
  clear(head: number): void {
    this.head = head;
    this.count = 0;
    this.outCount = 0;
    this.outBytes = 0;
    this.inBytes = 0;
  }

  /** Appends a checked buffer (the walker keeps out-before-in order and the capacity). */
  add(addr: number, len: number, writable: boolean): void {
    const i = this.count++;
    this.addr[i] = addr;
    this.len[i] = len;
    if (writable) {
      this.inBytes += len;
    } else {
      this.outCount++;
      this.outBytes += len;
    }
  }

  /**
   * Copies readable bytes, starting `offset` bytes into the out stream, into `dst`. Returns how many
   * bytes were copied (fewer than `dst.length` when the out stream ends first).
   */
  gather(offset: number, dst: Uint8Array): number {
    const bytes = this.memory.bytes;
    let copied = 0;
    for (let i = 0; i < this.outCount && copied < dst.length; i++) {
      const len = this.len[i];
      if (offset >= len) {
        offset -= len;
        continue;
      }
      const start = this.addr[i] + offset;
      const n = Math.min(len - offset, dst.length - copied);
      dst.set(bytes.subarray(start, start + n), copied);
      copied += n;
      offset = 0;
    }
    return copied;
  }

  /**
   * Copies `src` into the writable buffers, starting `offset` bytes into the in stream. Returns how
   * many bytes were written (fewer than `src.length` when the in stream ends first).
   */
  scatter(offset: number, src: Uint8Array): number {
    const memory = this.memory;
    const bytes = memory.bytes;
    let written = 0;
    for (let i = this.outCount; i < this.count && written < src.length; i++) {
      const len = this.len[i];
      if (offset >= len) {
        offset -= len;
        continue;
      }
      const start = this.addr[i] + offset;
      const n = Math.min(len - offset, src.length - written);
      bytes.set(src.subarray(written, written + n), start);
      memory.touch(start, n);
      written += n;
      offset = 0;
    }
    return written;
  }
}

/**
 * The virtio block device (spec §9.5 "Block", §10.4): one queue, a disk backed by a host file.
 *
 * Each request is a chain: a 16-byte header (type, ioprio, sector) at the start of the readable
 * bytes, then the data (readable for a write, writable for a read), and one status byte, the last
 * writable byte of the chain. The device offers SEG_MAX (254 segments) and FLUSH, and RO when the file
 * could only be opened read-only or the caller asked for it. Capacity is the file size in 512-byte
 * sectors, fixed when the file is opened.
 *
 * Requests are answered, never fatal: a short header, a range outside the disk or a write to a
 * read-only disk completes with IOERR (the file untouched), an unknown type with UNSUPP, and a host
 * I/O error with IOERR. A chain with no writable byte has nowhere to put a status; it is completed
 * with length 0 and otherwise ignored.
 *
 * I/O is synchronous on purpose (one positional `readv`/`writev` per request, straight between the
 * file and guest memory, `fdatasyncSync` for FLUSH): a request is completed, and its interrupt raised, only
 * after the data reached the file (or, for FLUSH, stable storage), and completions keep request order.
 * The cost is that a slow disk stalls the main thread for the length of one request.
 */
import { closeSync, fdatasyncSync, fstatSync, openSync, readvSync, writevSync } from 'node:fs';
import { basename } from 'node:path';
import {
  LAUNCHER_BLOCK_CONFIG_LEN,
  LAUNCHER_BLOCK_FEATURE_LEN,
  LAUNCHER_BLOCK_SEG_MAX,
  VIRTIO_BLK_CONFIG_LAYOUT,
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_F_SEG_MAX,
  VIRTIO_BLK_ID_BYTES,
  VIRTIO_BLK_REQ_HEADER_SIZE,
  VIRTIO_BLK_REQ_LAYOUT,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_SECTOR_SIZE,
  VIRTIO_BLK_STATUS_SIZE,
  VIRTIO_BLK_T_BARRIER,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VIRTIO_ID_BLOCK,
  VIRTQUEUE_NUM,
} from '@lguest/abi';
import type { DescriptorChain } from './chain.js';
import type { DeviceBinding, QueueSpec, VirtioDevice } from './device.js';
import { featureBit } from './features.js';
import type { Virtqueue } from './virtqueue.js';

/** Options for {@link BlockDevice.open}. */
export interface BlockOptions {
  /** Open the file read-only and offer the RO feature (default: only if it cannot be opened for writing). */
  readonly readOnly?: boolean;
  /** The GET_ID answer, at most 20 bytes used (default: the file's base name). */
  readonly id?: string;
  /** Entries in the queue (default `VIRTQUEUE_NUM`, 256). */
  readonly queueSize?: number;
}

const TWO_32 = 0x1_0000_0000;
/** Sector high words at or above this make the sector 2^53 or more (inexact as a number): far beyond any disk. */
const SECTOR_HI_LIMIT = 0x20_0000;
const WRITE_DENIED = new Set(['EACCES', 'EPERM', 'EROFS']);
/** Buffers one `readv`/`writev` call takes (Linux's IOV_MAX). */
const IOV_MAX = 1024;

/** A virtio block device over a host file. */
export class BlockDevice implements VirtioDevice {
  readonly name: string;
  readonly type = VIRTIO_ID_BLOCK;
  readonly features: number;
  readonly featureLen = LAUNCHER_BLOCK_FEATURE_LEN;
  readonly config: Uint8Array;
  readonly queues: readonly QueueSpec[];
  /** True when the guest may not write (the RO feature is offered). */
  readonly readOnly: boolean;
  /** Disk size in 512-byte sectors. */
  readonly capacity: number;

  readonly #fd: number;
  readonly #bytes: number;
  readonly #id: Uint8Array;
  readonly #header = new Uint8Array(VIRTIO_BLK_REQ_HEADER_SIZE);
  readonly #headerView = new DataView(this.#header.buffer);
  readonly #status = new Uint8Array(VIRTIO_BLK_STATUS_SIZE);
  readonly #handleOne = (chain: DescriptorChain) => this.#handle(chain);
  readonly #iov: Uint8Array[] = [];
  #queue: Virtqueue | undefined;
  #closed = false;

  /**
   * Opens `path` as a disk: read-write unless `readOnly` is asked for or writing is not permitted
   * (then read-only with RO offered). Throws the file system's error if it cannot be opened at all.
   */
  static open(path: string, options: BlockOptions = {}): BlockDevice {
    let fd: number;
    let readOnly = options.readOnly === true;
    if (readOnly) {
      fd = openSync(path, 'r');
    } else {
      try {
        fd = openSync(path, 'r+');
      } catch (error) {
        if (!WRITE_DENIED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
        fd = openSync(path, 'r');
        readOnly = true;
      }
    }
    try {
      return new BlockDevice(fd, {
        ...options,
        readOnly,
        id: options.id ?? basename(path),
        name: `block ${basename(path)}`,
      });
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /**
   * A disk over an open file descriptor, which the device owns from now on (closed by
   * {@link BlockDevice.close}). `readOnly` must be true if the descriptor is not writable.
   */
  constructor(fd: number, options: BlockOptions & { readonly name?: string } = {}) {
    this.#fd = fd;
    this.name = options.name ?? 'block';
    this.readOnly = options.readOnly === true;
    const size = fstatSync(fd).size;
    this.capacity = Math.floor(size / VIRTIO_BLK_SECTOR_SIZE);
    this.#bytes = this.capacity * VIRTIO_BLK_SECTOR_SIZE;
    this.features =
      (featureBit(VIRTIO_BLK_F_SEG_MAX) |
        featureBit(VIRTIO_BLK_F_FLUSH) |
        (this.readOnly ? featureBit(VIRTIO_BLK_F_RO) : 0)) >>>
      0;
    this.queues = [{ name: 'queue', num: options.queueSize ?? VIRTQUEUE_NUM }];
    this.config = new Uint8Array(LAUNCHER_BLOCK_CONFIG_LEN);
    const config = new DataView(this.config.buffer);
    config.setBigUint64(VIRTIO_BLK_CONFIG_LAYOUT.capacity.offset, BigInt(this.capacity), true);
    config.setUint32(VIRTIO_BLK_CONFIG_LAYOUT.segMax.offset, LAUNCHER_BLOCK_SEG_MAX, true);
    this.#id = new Uint8Array(VIRTIO_BLK_ID_BYTES);
    this.#id.set(new TextEncoder().encode(options.id ?? '').subarray(0, VIRTIO_BLK_ID_BYTES));
  }

  attach(binding: DeviceBinding): void {
    this.#queue = binding.queues[0];
  }

  start(): void {}

  kick(): void {
    this.#queue?.service(this.#handleOne);
  }

  reset(): void {
    // Every request completes before its kick returns: nothing is in flight to forget.
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }

  /** Answers one request and completes it. */
  #handle(chain: DescriptorChain): void {
    const queue = this.#queue;
    if (queue === undefined) return;
    if (chain.inBytes === 0) {
      queue.push(chain.head, 0);
      return;
    }
    const dataIn = chain.inBytes - VIRTIO_BLK_STATUS_SIZE;
    let status: number = VIRTIO_BLK_S_IOERR;
    let written = 0;
    if (!this.#closed && chain.gather(0, this.#header) === VIRTIO_BLK_REQ_HEADER_SIZE) {
      const header = this.#headerView;
      const type = (header.getUint32(VIRTIO_BLK_REQ_LAYOUT.type.offset, true) & ~VIRTIO_BLK_T_BARRIER) >>> 0;
      const sectorLo = header.getUint32(VIRTIO_BLK_REQ_LAYOUT.sector.offset, true);
      const sectorHi = header.getUint32(VIRTIO_BLK_REQ_LAYOUT.sector.offset + 4, true);
      switch (type) {
        case VIRTIO_BLK_T_IN: {
          const offset = this.#range(sectorLo, sectorHi, dataIn);
          if (offset >= 0 && this.#read(chain, offset, dataIn)) {
            status = VIRTIO_BLK_S_OK;
            written = dataIn;
          }
          break;
        }
        case VIRTIO_BLK_T_OUT: {
          const length = chain.outBytes - VIRTIO_BLK_REQ_HEADER_SIZE;
          const offset = this.readOnly ? -1 : this.#range(sectorLo, sectorHi, length);
          if (offset >= 0 && this.#write(chain, offset, length)) status = VIRTIO_BLK_S_OK;
          break;
        }
        case VIRTIO_BLK_T_FLUSH:
          status = this.#flush() ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
          break;
        case VIRTIO_BLK_T_GET_ID:
          written = Math.min(dataIn, VIRTIO_BLK_ID_BYTES);
          chain.scatter(0, this.#id.subarray(0, written));
          status = VIRTIO_BLK_S_OK;
          break;
        default:
          status = VIRTIO_BLK_S_UNSUPP;
      }
    }
    this.#status[0] = status;
    chain.scatter(dataIn, this.#status);
    queue.push(chain.head, written + VIRTIO_BLK_STATUS_SIZE);
  }

  /** The byte offset of `length` bytes at the sector, or -1 when any of them lies outside the disk. */
  #range(sectorLo: number, sectorHi: number, length: number): number {
    if (sectorHi >= SECTOR_HI_LIMIT) return -1;
    const offset = (sectorHi * TWO_32 + sectorLo) * VIRTIO_BLK_SECTOR_SIZE;
    return offset <= this.#bytes && length <= this.#bytes - offset ? offset : -1;
  }

  /** Reads `length` bytes at `position` straight into the chain's writable buffers (one `readv`). */
  #read(chain: DescriptorChain, position: number, length: number): boolean {
    const memory = chain.memory;
    const iov = this.#iov;
    iov.length = 0;
    let left = length;
    for (let i = chain.outCount; i < chain.count && left > 0; i++) {
      const start = chain.addr[i];
      const n = Math.min(chain.len[i], left);
      iov.push(memory.bytes.subarray(start, start + n));
      left -= n;
    }
    const ok = this.#transfer(iov, position, length, false);
    // Whatever reached guest memory counts as written, even after a failure part-way.
    for (const view of iov) memory.touch(view.byteOffset - memory.bytes.byteOffset, view.length);
    return ok;
  }

  /** Writes the chain's readable bytes after the header to the file at `position` (one `writev`). */
  #write(chain: DescriptorChain, position: number, length: number): boolean {
    const bytes = chain.memory.bytes;
    const iov = this.#iov;
    iov.length = 0;
    let skip = VIRTIO_BLK_REQ_HEADER_SIZE;
    for (let i = 0; i < chain.outCount; i++) {
      const len = chain.len[i];
      if (skip >= len) {
        skip -= len;
        continue;
      }
      const start = chain.addr[i] + skip;
      iov.push(bytes.subarray(start, start + len - skip));
      skip = 0;
    }
    return this.#transfer(iov, position, length, true);
  }

  /**
   * Moves `length` bytes between the file at `position` and the views, with as few system calls as
   * the kernel allows: a short transfer (or more views than one call takes) continues where it
   * stopped. False on an I/O error or an unexpected end of file.
   */
  #transfer(iov: Uint8Array[], position: number, length: number, write: boolean): boolean {
    let views = iov;
    let left = length;
    try {
      while (left > 0) {
        const batch = views.length > IOV_MAX ? views.slice(0, IOV_MAX) : views;
        const n = write ? writevSync(this.#fd, batch, position) : readvSync(this.#fd, batch, position);
        if (n <= 0) return false;
        left -= n;
        position += n;
        if (left <= 0) break;
        let k = 0;
        let m = n;
        while (k < views.length && m >= views[k].length) m -= views[k++].length;
        views = views.slice(k);
        views[0] = views[0].subarray(m);
      }
      return true;
    } catch {
      return false;
    }
  }

  #flush(): boolean {
    if (this.readOnly) return true;
    try {
      fdatasyncSync(this.#fd);
      return true;
    } catch {
      return false;
    }
  }
}

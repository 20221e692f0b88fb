/**
 * The virtio entropy device (spec §9.5 "RNG", §10.4): one queue; the guest posts writable buffers and
 * the device fills them from the host's cryptographic random source (`crypto.randomFillSync`,
 * straight into guest memory) and completes each chain with the bytes written.
 *
 * The reference Launcher fills every buffer completely. A chain's buffers may all overlap the same
 * guest memory, so a hostile guest could ask for gigabytes per request and stall every other guest
 * served by this thread; the device fills at most {@link RNG_MAX_FILL} bytes per chain (the length it
 * reports says how many), far beyond the few dozen bytes Linux asks for.
 */
import { randomFillSync } from 'node:crypto';
import { VIRTIO_ID_RNG, VIRTQUEUE_NUM } from '@lguest/abi';
import type { DescriptorChain } from './chain.js';
import type { DeviceBinding, QueueSpec, VirtioDevice } from './device.js';
import type { Virtqueue } from './virtqueue.js';

/** Most bytes the entropy device writes into one chain. */
export const RNG_MAX_FILL = 1 << 20;

/** Options for {@link RngDevice}. */
export interface RngOptions {
  /** Entries in the queue (default `VIRTQUEUE_NUM`, 256). */
  readonly queueSize?: number;
}

/** The virtio entropy device. */
export class RngDevice implements VirtioDevice {
  readonly name = 'rng';
  readonly type = VIRTIO_ID_RNG;
  readonly features = 0;
  readonly featureLen = 0;
  readonly config = new Uint8Array(0);
  readonly queues: readonly QueueSpec[];
  #queue: Virtqueue | undefined;
  readonly #fillOne = (chain: DescriptorChain) => this.#fill(chain);

  constructor(options: RngOptions = {}) {
    this.queues = [{ name: 'queue', num: options.queueSize ?? VIRTQUEUE_NUM }];
  }

  attach(binding: DeviceBinding): void {
    this.#queue = binding.queues[0];
  }

  start(): void {}

  kick(): void {
    this.#queue?.service(this.#fillOne);
  }

  reset(): void {}

  close(): void {}

  #fill(chain: DescriptorChain): void {
    const memory = chain.memory;
    let room = RNG_MAX_FILL;
    let written = 0;
    for (let i = chain.outCount; i < chain.count && room > 0; i++) {
      const n = Math.min(chain.len[i], room);
      if (n === 0) continue;
      randomFillSync(memory.bytes, chain.addr[i], n);
      memory.touch(chain.addr[i], n);
      written += n;
      room -= n;
    }
    this.#queue?.push(chain.head, written);
  }
}

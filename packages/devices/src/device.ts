/**
 * What a virtio device implements to sit on the lguest bus (spec §9, §10.2–§10.4).
 *
 * A device says what its descriptor holds (virtio ID, queues, offered features, config bytes); the
 * bus places it on the device page, gives it its virtqueues through {@link DeviceBinding}, and calls
 * it on the lifecycle events the guest drives: start at the status-3 notification with the
 * negotiated features, a kick per queue notification, and reset. The console, block and entropy
 * devices of this package implement it; so can a composer's own device.
 */
import type { GuestKiller, GuestMemory } from '@lguest/abi';
import type { Virtqueue } from './virtqueue.js';

/** One queue a device asks for. */
export interface QueueSpec {
  /** Short name used in kill reasons, e.g. `"rx"`. */
  readonly name: string;
  /** Entries (a power of two; the reference Launcher uses `VIRTQUEUE_NUM`, 256). */
  readonly num: number;
  /**
   * True when the guest waits for this queue's buffers by spinning on the used ring with interrupts
   * off (the console's transmit queue, §9.5, §13). The vCPU has nothing else to do until the kick is
   * serviced, so a Launcher services such kicks with the vCPU stopped (the kick ends its `read()`)
   * rather than beside a spinning vCPU that would compete with it for a CPU.
   */
  readonly guestSpins?: boolean;
}

/** What the bus hands a device when it places it. */
export interface DeviceBinding {
  /** The device's virtqueues, in the order of {@link VirtioDevice.queues}. */
  readonly queues: readonly Virtqueue[];
  /** The guest's memory. */
  readonly memory: GuestMemory;
  /** The guest's kill switch. */
  readonly killer: GuestKiller;
  /** gpa of the device's config space on the device page (guest-writable). */
  readonly configGpa: number;
  /** Reports a host-side problem that does not kill the guest (e.g. a failed driver). */
  warn(message: string): void;
}

/** A virtio device on the lguest bus. */
export interface VirtioDevice {
  /** Names the device in kill reasons and warnings, e.g. `"block disk.img"`. */
  readonly name: string;
  /** Virtio device ID (`VIRTIO_ID_*`). */
  readonly type: number;
  /** The queues to create, in queue order. */
  readonly queues: readonly QueueSpec[];
  /** Offered feature bits 0–31 as an unsigned word. */
  readonly features: number;
  /** Bytes per feature bitmap; at least what {@link VirtioDevice.features} needs. */
  readonly featureLen: number;
  /** The config space as the guest first sees it (`config_len` is its length, at most 255). */
  readonly config: Uint8Array;
  /** Called once, when the bus places the device. */
  attach(binding: DeviceBinding): void;
  /** The guest finalized features (status-3 notification): queues are active, service from now on. */
  start(features: number): void;
  /** The guest kicked queue `queue` (its index in {@link VirtioDevice.queues}). */
  kick(queue: number): void;
  /** The guest reset the device (status 0, or FAILED while running): forget in-flight state. */
  reset(): void;
  /** Releases host resources (files, listeners). The device is not used afterwards. */
  close(): void;
}

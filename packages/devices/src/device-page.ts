/**
 * Building the lguest bus device page (spec §9.1, §10.1).
 *
 * The Launcher describes its devices on the page right above guest RAM (gpa = RAM size): one
 * descriptor per device, packed back to back, each followed by its vrings in the next free pages
 * above (3 pages for a 256-entry queue) and given the next free IRQ lines from 1. The bus calls
 * {@link DevicePage.place} once per device, in creation order, before the guest starts. Running out
 * of page, pages or IRQ lines is the host's configuration mistake, so it throws a `RangeError` with
 * the reference Launcher's wording and leaves the page as it was.
 *
 * The host keeps its own copy of everything it wrote ({@link PlacedDevice}); only the guest-written
 * fields (status, accepted features, config) are ever read back from memory.
 */
import {
  DEVICE_PAGE_SIZE,
  DEVICE_PAGES,
  DeviceDescView,
  deviceAcceptedOffset,
  deviceConfigOffset,
  deviceDescSize,
  deviceFeaturesOffset,
  type GuestMemory,
  LGUEST_IRQS,
  PAGE_SHIFT,
  PAGE_SIZE,
  type VirtioTransport,
  vringPages,
} from '@lguest/abi';
import type { VirtioDevice } from './device.js';
import { featureLenFor, writeFeatureBitmap } from './features.js';
import { Virtqueue } from './virtqueue.js';

/** The host's record of one device it placed on the page. */
export interface PlacedDevice {
  readonly device: VirtioDevice;
  /** gpa of the descriptor: the NOTIFY value of a status change. */
  readonly descriptorGpa: number;
  /** Host copies of the descriptor header. */
  readonly numVq: number;
  readonly featureLen: number;
  readonly configLen: number;
  /** The offered feature word. */
  readonly offered: number;
  /** gpa of the status byte. */
  readonly statusGpa: number;
  /** gpa of the guest's accepted-feature bitmap. */
  readonly acceptedGpa: number;
  /** gpa of the config space. */
  readonly configGpa: number;
  /** The device's virtqueues (their gpas are the kick values). */
  readonly queues: readonly Virtqueue[];
}

const MAX_VRING_NUM = 0x8000;

/** Checks what a device asks for is describable; throws `RangeError` naming the field otherwise. */
function validate(device: VirtioDevice): number {
  const { name, type, queues, features, featureLen, config } = device;
  if (!(Number.isInteger(type) && type > 0 && type <= 0xff))
    throw new RangeError(`${name}: device type ${type} is not 1..255`);
  if (queues.length > 0xff) throw new RangeError(`${name}: ${queues.length} queues do not fit num_vq`);
  for (const q of queues) {
    if (!(Number.isInteger(q.num) && q.num > 0 && q.num <= MAX_VRING_NUM && (q.num & (q.num - 1)) === 0)) {
      throw new RangeError(
        `${name}: queue ${q.name} size ${q.num} is not a power of two up to ${MAX_VRING_NUM}`,
      );
    }
  }
  const needed = featureLenFor(features);
  if (!(Number.isInteger(featureLen) && featureLen >= needed && featureLen <= 0xff)) {
    throw new RangeError(
      `${name}: feature_len ${featureLen} cannot hold the offered features (needs ${needed}..255)`,
    );
  }
  if (config.length > 0xff)
    throw new RangeError(`${name}: config of ${config.length} bytes does not fit config_len`);
  return deviceDescSize(queues.length, featureLen, config.length);
}

/** The device page and the pages above it, filled device by device. */
export class DevicePage {
  /** gpa of the device page (= RAM size). */
  readonly gpa: number;
  readonly #memory: GuestMemory;
  #used = 0;
  #limit: number;
  #nextIrq = 1;

  /** Reserves the page at `ramSize` in `memory`, which must hold it (a host set-up mistake otherwise). */
  constructor(memory: GuestMemory, ramSize: number) {
    if (!(Number.isInteger(ramSize) && ramSize > 0 && ramSize % PAGE_SIZE === 0)) {
      throw new RangeError(`RAM size ${ramSize} is not a positive multiple of ${PAGE_SIZE}`);
    }
    if (!memory.addressOk(ramSize, DEVICE_PAGE_SIZE)) {
      throw new RangeError(
        `guest memory (${memory.limit} bytes) has no room for the device page at 0x${ramSize.toString(16)}`,
      );
    }
    this.#memory = memory;
    this.gpa = ramSize;
    this.#limit = ramSize + DEVICE_PAGE_SIZE;
  }

  /**
   * The reference Launcher's `guest_limit` after placing devices: the end of the last vring. The
   * Launcher passes `limit / 4096` as `pfn_limit`; NOTIFY values at or above it are bad.
   */
  get limit(): number {
    return this.#limit;
  }

  /** Bytes of the device page used by descriptors so far. */
  get used(): number {
    return this.#used;
  }

  /** Writes `device`'s descriptor, reserves its vrings and IRQs, and returns the host's record. */
  place(transport: VirtioTransport, device: VirtioDevice): PlacedDevice {
    const size = validate(device);
    if (this.#used + size > DEVICE_PAGE_SIZE) throw new RangeError('Too many devices');
    const memory = this.#memory;
    const reserveEnd = this.gpa + DEVICE_PAGES * PAGE_SIZE;
    let limit = this.#limit;
    const vringGpas: number[] = [];
    for (const q of device.queues) {
      vringGpas.push(limit);
      limit += vringPages(q.num) * PAGE_SIZE;
      if (limit > reserveEnd || !memory.addressOk(this.gpa, limit - this.gpa)) {
        throw new RangeError('Not enough memory for devices');
      }
    }
    if (this.#nextIrq + device.queues.length > LGUEST_IRQS) {
      throw new RangeError(`Not enough IRQ lines for ${device.name} (lines 1..${LGUEST_IRQS - 1})`);
    }

    const numVq = device.queues.length;
    const featureLen = device.featureLen;
    const configLen = device.config.length;
    const descriptorGpa = this.gpa + this.#used;
    const desc = new DeviceDescView(memory, descriptorGpa);
    desc.setHeader(device.type, numVq, featureLen, configLen);
    const queues: Virtqueue[] = [];
    for (let i = 0; i < numVq; i++) {
      const spec = device.queues[i];
      const irq = this.#nextIrq + i;
      desc.setVq(i, spec.num, irq, vringGpas[i] >>> PAGE_SHIFT);
      queues.push(
        new Virtqueue(transport, {
          name: `${device.name} ${spec.name}`,
          gpa: vringGpas[i],
          num: spec.num,
          irq,
        }),
      );
    }
    writeFeatureBitmap(memory, descriptorGpa + deviceFeaturesOffset(numVq), device.features, featureLen);
    const acceptedGpa = descriptorGpa + deviceAcceptedOffset(numVq, featureLen);
    writeFeatureBitmap(memory, acceptedGpa, 0, featureLen);
    const configGpa = descriptorGpa + deviceConfigOffset(numVq, featureLen);
    memory.copyIn(configGpa, device.config);
    // The guest stops at a type of 0: make sure the byte after this descriptor says so.
    if (this.#used + size < DEVICE_PAGE_SIZE) memory.write8(descriptorGpa + size, 0);

    this.#used += size;
    this.#limit = limit;
    this.#nextIrq += numVq;
    return {
      device,
      descriptorGpa,
      numVq,
      featureLen,
      configLen,
      offered: device.features >>> 0,
      statusGpa: descriptorGpa + 4,
      acceptedGpa,
      configGpa,
      queues,
    };
  }
}

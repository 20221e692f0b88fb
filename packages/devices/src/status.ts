/**
 * A placed device's lifecycle, driven by the guest's status notifications (spec §9.2, §10.2).
 *
 * The guest writes the status byte of a descriptor directly and then NOTIFYs the descriptor's gpa
 * for the changes that matter: reset (status 0), finalized features (status 3, ACKNOWLEDGE|DRIVER),
 * and failure (FAILED added). DRIVER_OK (7) is stored silently and changes nothing here: 3.10 drivers
 * use their queues before setting it, so a device is serviced from the status-3 notification on.
 * The bus routes a descriptor NOTIFY here; what happens follows the reference Launcher:
 *
 * - status 0: reset — clear the accepted bitmap, zero the vrings, forget every index, stop;
 * - FAILED set: warn, and reset if the device was running;
 * - anything else: start (negotiate, activate the queues, tell the device) — or, if it is already
 *   running, the guest finalized features twice, which kills it.
 */
import { VIRTIO_CONFIG_S_FAILED } from '@lguest/abi';
import type { DeviceBinding } from './device.js';
import type { PlacedDevice } from './device-page.js';
import { negotiateFeatures, readFeatureBitmap, writeFeatureBitmap } from './features.js';

/** One device on the bus and whether the guest has started it. */
export class DeviceSlot {
  readonly placed: PlacedDevice;
  readonly binding: DeviceBinding;
  #running = false;
  #features = 0;

  constructor(placed: PlacedDevice, binding: DeviceBinding) {
    this.placed = placed;
    this.binding = binding;
  }

  /** True from the status-3 notification until the next reset. */
  get running(): boolean {
    return this.#running;
  }

  /** The negotiated features while running (0 otherwise). */
  get features(): number {
    return this.#features;
  }

  /** Handles a NOTIFY of the descriptor's gpa: reads the status the guest stored and acts on it. */
  statusChanged(): void {
    const { memory, killer } = this.binding;
    if (killer.dead) return;
    const { device, statusGpa } = this.placed;
    const status = memory.read8(statusGpa);
    if (status === 0) {
      this.reset();
    } else if (status & VIRTIO_CONFIG_S_FAILED) {
      this.binding.warn(`${device.name}: the guest's driver failed (status 0x${status.toString(16)})`);
      if (this.#running) this.reset();
    } else if (this.#running) {
      killer.kill(`${device.name}: features finalized twice (status 0x${status.toString(16)})`);
    } else {
      this.#start();
    }
  }

  /** Resets the device: the accepted features, the vrings and the device's own state. */
  reset(): void {
    const { memory } = this.binding;
    const { device, acceptedGpa, featureLen, queues } = this.placed;
    this.#running = false;
    this.#features = 0;
    writeFeatureBitmap(memory, acceptedGpa, 0, featureLen);
    for (const q of queues) q.reset();
    device.reset();
  }

  #start(): void {
    const { memory } = this.binding;
    const { device, acceptedGpa, featureLen, offered, queues } = this.placed;
    const features = negotiateFeatures(offered, readFeatureBitmap(memory, acceptedGpa, featureLen));
    for (const q of queues) if (!q.activate(features)) return;
    this.#features = features;
    this.#running = true;
    device.start(features);
  }

  /** Handles a kick of queue `index`; a kick before the device started kills the guest. */
  kick(index: number): void {
    const { killer } = this.binding;
    if (killer.dead) return;
    if (!this.#running) {
      const q = this.placed.queues[index];
      killer.kill(`Notification on ${q.name} (vring 0x${q.gpa.toString(16)}) before setup`);
      return;
    }
    this.placed.device.kick(index);
  }
}

/**
 * `@lguest/devices`: virtio devices on the lguest bus (spec §9–§10) — the device page and NOTIFY
 * router ({@link LguestBus}), the bounds-checked virtqueue ({@link Virtqueue}), and the console,
 * block and entropy devices. Devices reach their guest only through the `VirtioTransport` seam of
 * `@lguest/abi`; {@link LocalTransport} provides one without a Host.
 */
export { BlockDevice, type BlockOptions } from './block.js';
export { LguestBus, type LguestBusOptions, type NotifyOutcome } from './bus.js';
export { DescriptorChain } from './chain.js';
export { ConsoleDevice, type ConsoleOptions, type ConsoleOutput } from './console.js';
export { CtrlCDetector } from './ctrl-c.js';
export type { DeviceBinding, QueueSpec, VirtioDevice } from './device.js';
export { DevicePage, type PlacedDevice } from './device-page.js';
export { readEarlyConsoleString } from './early-console.js';
export {
  featureBit,
  featureLenFor,
  hasFeature,
  negotiateFeatures,
  readFeatureBitmap,
  writeFeatureBitmap,
} from './features.js';
export { LocalTransport, type LocalTransportOptions } from './local-transport.js';
export { RNG_MAX_FILL, RngDevice, type RngOptions } from './rng.js';
export { Virtqueue, type VirtqueueConfig } from './virtqueue.js';

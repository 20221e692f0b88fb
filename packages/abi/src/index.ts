/**
 * `@lguest/abi`: the lguest guest/host ABI (profile M) and the small seams every other package shares.
 */
export { allocateFrameIds, type HostFrame, PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from './frame.js';
export { DeathRecord, type GuestKiller } from './killer.js';
export {
  type GuestFaultHook,
  GuestMemory,
  type GuestMemoryOptions,
  type SharedGuestMemory,
} from './memory.js';
export type { VirtioTransport } from './transport.js';

/**
 * `@lguest/abi`: the lguest guest/host ABI (profile M) and the small seams every other package shares.
 *
 * Constants are plain numbers (no enums, so separately built packages inline nothing surprising);
 * struct layouts are tables of `{offset, size}`; guest structs are read and written through
 * zero-copy views over {@link GuestMemory}.
 */

export * from './boot-params.js';
export * from './constants.js';
export * from './control-registers.js';
export * from './device-page.js';
export * from './eflags.js';
export * from './errno.js';
export {
  allocateFrameIds,
  bumpGeneration,
  CODE_CACHED,
  GENERATION_STEP,
  type HostFrame,
  markCodeCached,
  PAGE_MASK,
  PAGE_SHIFT,
  PAGE_SIZE,
} from './frame.js';
export * from './gp-emulation.js';
export * from './hypercalls.js';
export * from './idt.js';
export * from './kernel-image.js';
export { DeathRecord, type GuestKiller } from './killer.js';
export { type FieldLayout, roundUp } from './layout.js';
export * from './lguest-data.js';
export * from './lhreq.js';
export {
  type GuestFaultHook,
  GuestMemory,
  type GuestMemoryOptions,
  type SharedGuestMemory,
} from './memory.js';
export * from './paging.js';
export * from './regs.js';
export * from './segments.js';
export type { VirtioTransport } from './transport.js';
export { GuestStructView } from './view.js';
export * from './virtio.js';
export * from './virtio-block.js';
export * from './virtio-console.js';
export * from './virtio-net.js';
export * from './vring.js';

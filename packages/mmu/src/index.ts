/**
 * `@lguest/mmu`: shadow paging for lguest guests (spec §7) — the guest page-table walker, demand
 * paging, the shadow-directory cache, stack pinning and the page-table hypercalls, behind the x86
 * CPU's `TranslationProvider` interface. The page-table flag bits and the switcher address are ABI
 * constants exported by `@lguest/abi`.
 */
export { FrameOverlay, type FrameSource } from './frame-source.js';
export { BAD_GPA } from './guest-walk.js';
export { ShadowMmu, type ShadowMmuOptions } from './mmu.js';
export { MAX_STACK_PAGES } from './pinning.js';

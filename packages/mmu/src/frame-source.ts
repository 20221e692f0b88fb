/**
 * Where shadow entries get their host frames: the seam between the MMU and whatever owns pages.
 *
 * A shadow page-table entry points at a host frame, not at a guest-physical address. Usually that
 * frame is a page of the guest's own RAM (`GuestMemory.frame(pfn)`), but grant sharing maps another
 * memory's page at one of this guest's pfns, so the MMU asks a {@link FrameSource} and never assumes
 * one flat buffer. {@link FrameOverlay} is the small ready-made source a grant layer can drive.
 */
import type { GuestMemory, HostFrame } from '@lguest/abi';

/**
 * Supplies the host frame behind a guest pfn. The MMU has already checked `pfn < pfn_limit`; a source
 * returning `undefined` means "no page can be obtained", which kills the guest. Must not throw.
 */
export interface FrameSource {
  frame(pfn: number): HostFrame | undefined;
}

/**
 * Guest RAM with some pfns replaced by foreign frames (a granted page, say).
 *
 * After changing the overlay, tell every MMU using it with `ShadowMmu.frameSourceChanged(pfn)` so
 * no shadow entry (and no CPU TLB entry) keeps pointing at the old frame.
 */
export class FrameOverlay implements FrameSource {
  readonly #memory: GuestMemory;
  readonly #foreign = new Map<number, HostFrame>();

  constructor(memory: GuestMemory) {
    this.#memory = memory;
  }

  /** Maps `frame` at guest page `pfn`, hiding the guest's own page there. */
  map(pfn: number, frame: HostFrame): void {
    this.#foreign.set(pfn >>> 0, frame);
  }

  /** Shows the guest's own page at `pfn` again. Returns whether a foreign frame was mapped there. */
  unmap(pfn: number): boolean {
    return this.#foreign.delete(pfn >>> 0);
  }

  frame(pfn: number): HostFrame | undefined {
    return this.#foreign.get(pfn >>> 0) ?? this.#memory.frame(pfn);
  }
}

/**
 * Host frames: the unit shadow page tables and the CPU's TLB map to.
 *
 * A host frame is one 4 KiB page of some host buffer — a page of a guest's RAM, or a page that
 * belongs to somebody else (a grant page another guest shares). The CPU never assumes that all
 * memory is one flat array: it reaches memory only through frames, so a granted page can appear in
 * two guests' address spaces at once, with no copying.
 */

/** Bytes in a page and in a host frame. */
export const PAGE_SIZE = 4096;
/** log2(PAGE_SIZE): `gpa >>> PAGE_SHIFT` is a pfn. */
export const PAGE_SHIFT = 12;
/** Mask of the offset inside a page. */
export const PAGE_MASK = PAGE_SIZE - 1;

/**
 * One 4 KiB page of a host buffer.
 *
 * `bytes` is exactly {@link PAGE_SIZE} bytes long and aliases the owner's buffer (writes through it
 * are writes to the page). `id` is unique among the frames of one process' memories, so a cache keyed
 * by frame (decoded code, say) never confuses two pages.
 *
 * `generations[page]` is the page's write-generation word, shared by every thread that maps the page.
 * Bit 0 ({@link CODE_CACHED}) is set, once and for good, by the first CPU that caches decoded code
 * from the page; the bits above count writes. Whoever writes the page through `bytes` adds
 * {@link GENERATION_STEP} to the word (with `Atomics.add` when the buffer is shared) — always (as
 * `GuestMemory` does) or at least whenever bit 0 is set (as a CPU's store fast path does, so that only
 * code pages pay) — and never changes bit 0, so that caches of decoded code in any thread notice the
 * write. {@link bumpGeneration} does exactly that.
 */
export interface HostFrame {
  /** The page's bytes: a 4096-byte view into the owning buffer. */
  readonly bytes: Uint8Array;
  /** A process-unique identity of this page. */
  readonly id: number;
  /** The owning memory's per-page write generations (shared with every thread that maps it). */
  readonly generations: Int32Array;
  /** This page's index into {@link HostFrame.generations}. */
  readonly page: number;
}

let nextMemoryId = 1;

/**
 * Allocates the identity space for one memory's frames: frame `i` of the memory gets `base + i`.
 * Identities are unique within this thread's process image; 2^20 pages (4 GiB) per memory.
 */
export function allocateFrameIds(): number {
  const id = nextMemoryId++;
  return id * 0x10_0000;
}

/** Bit 0 of a page's write-generation word: some CPU caches decoded code from the page. */
export const CODE_CACHED = 1;
/** What a write adds to a page's write-generation word (the bits above {@link CODE_CACHED}). */
export const GENERATION_STEP = 2;

/**
 * Records a write to page `page`: adds {@link GENERATION_STEP} to its generation word (atomically
 * when the array is shared), leaving {@link CODE_CACHED} as it is. The word wraps as an int32.
 */
export function bumpGeneration(generations: Int32Array, page: number): void {
  if (generations.buffer instanceof ArrayBuffer)
    generations[page] = (generations[page] + GENERATION_STEP) | 0;
  else Atomics.add(generations, page, GENERATION_STEP);
}

/**
 * Marks page `page` as holding cached decoded code (sets {@link CODE_CACHED}, atomically when the
 * array is shared), so that from now on every writer bumps its generation.
 */
export function markCodeCached(generations: Int32Array, page: number): void {
  if ((generations[page] & CODE_CACHED) !== 0) return;
  if (generations.buffer instanceof ArrayBuffer) generations[page] |= CODE_CACHED;
  else Atomics.or(generations, page, CODE_CACHED);
}

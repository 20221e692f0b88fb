/**
 * The shape every struct layout in this package shares.
 *
 * Each guest-visible struct (`lguest_data`, `boot_params`, a device descriptor, a vring, a virtio
 * header) is described once as a table of fields, each an offset from the start of the struct and a
 * size in bytes, copied from the spec's tables. The zero-copy views read their offsets from these
 * tables at module load, and the tests pin every entry to the spec, so a typo shows up in one place.
 */

/** One field of a struct in guest memory: where it starts and how many bytes it spans. */
export interface FieldLayout {
  /** Byte offset from the start of the struct. */
  readonly offset: number;
  /** Width in bytes (1, 2, 4 or 8 for scalars; the whole array for arrays). */
  readonly size: number;
}

/** Rounds `value` up to a multiple of `align` (a power of two). Exact for values below 2^53. */
export function roundUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

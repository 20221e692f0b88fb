/**
 * What the Launcher knows about a kernel once its headers passed the checks of spec §8.2, before any
 * guest memory exists: the bytes to copy and where, the entry point, every guest-physical range the
 * kernel will occupy, and the longest command line it accepts. `elf-loader.ts` and `bzimage.ts`
 * produce it; `kernel.ts` checks it against the RAM size and copies it into guest memory.
 */

/** Bytes to copy to guest-physical `gpa`; the `memsz − data.length` bytes after them stay zero. */
export interface KernelSegment {
  readonly gpa: number;
  readonly data: Uint8Array;
  readonly memsz: number;
}

/** A guest-physical range `[start, end)` the kernel needs for itself; nothing else may be put there. */
export interface OccupiedRange {
  readonly start: number;
  readonly end: number;
  /** `image`: bytes the Launcher loads. `decompression`: the bzImage decompressor's buffer (§8.2). */
  readonly kind: 'image' | 'decompression';
  /** For messages: "PT_LOAD segment 1", "protected-mode part", "decompression area". */
  readonly what: string;
}

/** A parsed, header-checked kernel file. */
export interface KernelImage {
  /** The file name, for messages. */
  readonly file: string;
  readonly format: 'elf' | 'bzImage';
  /** The gpa the guest starts at (`e_entry` or `code32_start`): INITIALIZE's `start` word. */
  readonly entry: number;
  readonly segments: readonly KernelSegment[];
  /** Everything the kernel occupies in guest RAM, in ascending order of `start`. */
  readonly ranges: readonly OccupiedRange[];
  /** Most characters of command line the kernel takes (the NUL not counted). */
  readonly cmdlineSize: number;
  /** A bzImage's boot-protocol version (`0x020d` is 2.13); undefined for ELF. */
  readonly protocolVersion: number | undefined;
}

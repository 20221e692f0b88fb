/**
 * The initial ramdisk (spec §8.3): placed at the top of RAM, at `mem − round_up(size, 4096)`, and
 * described to the guest in the boot page (`ramdisk_image`, `ramdisk_size`, `type_of_loader`).
 * `prepare.ts` places it after the kernel is checked and before the boot page is written.
 *
 * The reference Launcher put it there unconditionally. Here it is refused when it does not fit in
 * RAM or would lie on top of anything else the guest needs: the kernel image, a bzImage's
 * decompression area (the decompressor would overwrite it), the boot page or the command line.
 */
import {
  BOOT_PARAMS_GPA,
  BOOT_PARAMS_SIZE,
  COMMAND_LINE_GPA,
  type GuestMemory,
  PAGE_SIZE,
  roundUp,
} from '@lguest/abi';
import type { OccupiedRange } from './kernel-image.js';
import { hex, LoadError } from './load-error.js';

/** Where the initrd went. */
export interface InitrdPlacement {
  /** gpa of its first byte: `ramdisk_image`. */
  readonly gpa: number;
  /** Its length rounded up to a page: `ramdisk_size` (the guest skips the zero bytes at the end). */
  readonly size: number;
  /** Bytes of the file. */
  readonly length: number;
}

/**
 * Places an initrd of `length` bytes at the top of `ramBytes` of RAM, clear of `kernelRanges` and of
 * the boot page and a command line of `commandLineBytes` bytes (NUL included). Throws
 * {@link LoadError} naming `file` when it is empty, does not fit, or would overlap one of them.
 */
export function placeInitrd(
  length: number,
  ramBytes: number,
  kernelRanges: readonly OccupiedRange[],
  commandLineBytes: number,
  file: string,
): InitrdPlacement {
  if (length === 0) throw new LoadError('the initrd is empty', file);
  const size = roundUp(length, PAGE_SIZE);
  if (size > ramBytes) {
    throw new LoadError(
      `the initrd (${length} bytes) is larger than the guest's ${ramBytes / (1 << 20)} MiB of RAM`,
      file,
    );
  }
  const gpa = ramBytes - size;
  const end = ramBytes;
  const others: { start: number; end: number; what: string }[] = [
    ...kernelRanges.map((r) => ({ start: r.start, end: r.end, what: `the kernel's ${r.what}` })),
    { start: BOOT_PARAMS_GPA, end: BOOT_PARAMS_GPA + BOOT_PARAMS_SIZE, what: 'the boot page' },
    { start: COMMAND_LINE_GPA, end: COMMAND_LINE_GPA + commandLineBytes, what: 'the command line' },
  ];
  for (const other of others) {
    if (gpa < other.end && other.start < end) {
      throw new LoadError(
        `the initrd (${length} bytes) at the top of RAM [${hex(gpa)}, ${hex(end)}) would overlap ` +
          `${other.what} [${hex(other.start)}, ${hex(other.end)}); give the guest more memory`,
        file,
      );
    }
  }
  return { gpa, size, length };
}

/** Copies the initrd's bytes to its place (the rest of its last page stays zero in fresh memory). */
export function loadInitrd(memory: GuestMemory, bytes: Uint8Array, placement: InitrdPlacement): void {
  if (!memory.copyIn(placement.gpa, bytes)) {
    throw new Error(`initrd at ${hex(placement.gpa)} did not fit the guest memory it was placed in`);
  }
}

/**
 * Loading the guest kernel (spec §8.2): tell an ELF `vmlinux` from a bzImage by its magic, check the
 * result against the guest's RAM, and copy it into guest memory. `prepare.ts` calls these in that
 * order; the format-specific checks live in `elf-loader.ts` and `bzimage.ts`.
 *
 * The reference Launcher copies segments wherever `p_paddr` says. Here every range the kernel
 * occupies must lie inside RAM and clear of the boot page and the command line the Launcher writes
 * at gpa 0 and 0x1000 (a kernel loaded there would be overwritten by them), and a bzImage's
 * decompression area must fit in RAM too, or the guest would die half-way through decompressing.
 */
import { COMMAND_LINE_COPY_SIZE, COMMAND_LINE_GPA, ELF_MAGIC, type GuestMemory } from '@lguest/abi';
import { parseBzImage } from './bzimage.js';
import { parseElfKernel } from './elf-loader.js';
import type { KernelImage, OccupiedRange } from './kernel-image.js';
import { hex, LoadError } from './load-error.js';

/** The boot page and the command-line bytes the guest copies: `[0, 0x1800)`; no kernel may be loaded there. */
export const BOOT_AREA_END = COMMAND_LINE_GPA + COMMAND_LINE_COPY_SIZE;

const MIB = 1 << 20;

/** True if `bytes` starts with the ELF magic 7F 'E' 'L' 'F'. */
export function hasElfMagic(bytes: Uint8Array): boolean {
  return bytes.length >= ELF_MAGIC.length && ELF_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Checks a kernel file's headers and says what it will occupy (§8.2): ELF if it starts with the ELF
 * magic, a bzImage otherwise. Throws {@link LoadError} naming `file` for anything it cannot load.
 */
export function parseKernel(bytes: Uint8Array, file: string): KernelImage {
  return hasElfMagic(bytes) ? parseElfKernel(bytes, file) : parseBzImage(bytes, file);
}

/** Bytes of RAM the kernel needs: the end of the highest range it occupies. */
export function kernelRamNeeded(kernel: KernelImage): number {
  return kernel.ranges.reduce((end, r) => Math.max(end, r.end), 0);
}

function describe(range: OccupiedRange): string {
  return `${range.what} [${hex(range.start)}, ${hex(range.end)})`;
}

/**
 * Checks that every range `kernel` occupies lies inside `ramBytes` of RAM and clear of the boot area.
 * Throws {@link LoadError}; a too-small RAM is reported with the size that would do.
 */
export function checkKernelFits(kernel: KernelImage, ramBytes: number): void {
  for (const range of kernel.ranges) {
    if (range.start < BOOT_AREA_END) {
      throw new LoadError(
        `${describe(range)} overlaps the boot page and command line [0, ${hex(BOOT_AREA_END)})`,
        kernel.file,
      );
    }
  }
  const needed = kernelRamNeeded(kernel);
  if (needed > ramBytes) {
    const worst = kernel.ranges.find((r) => r.end === needed) as OccupiedRange;
    throw new LoadError(
      `${ramBytes / MIB} MiB of memory is too small for this kernel: its ${describe(worst)} ` +
        `ends beyond RAM (${hex(ramBytes)}); give at least ${Math.ceil(needed / MIB)} MiB`,
      kernel.file,
    );
  }
}

/**
 * Copies the kernel's segments into guest memory. The memory must be fresh (zero), because the
 * bytes between a segment's file size and its memory size (`.bss`) are not written. Call
 * {@link checkKernelFits} first; a copy that still fails is a Launcher bug and throws.
 */
export function loadKernel(memory: GuestMemory, kernel: KernelImage): void {
  for (const segment of kernel.segments) {
    if (!memory.copyIn(segment.gpa, segment.data)) {
      throw new Error(
        `kernel segment at ${hex(segment.gpa)} did not fit the guest memory it was checked against`,
      );
    }
  }
}

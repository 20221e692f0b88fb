/**
 * The guest's memory layout from the `<mem-in-MiB>` argument (spec §10.1, §5.4), worked out before
 * anything is allocated. `prepare.ts` calls {@link memoryLayout} first.
 *
 *   gpa 0 ............ RAM (boot page at 0, command line at 0x1000, kernel, initrd at the top)
 *   RAM size ......... the device page (§9.1), then the vrings, 256 pages reserved in all
 *   RAM + 256 pages .. end of the buffer; `guest_limit` (hence `pfn_limit`) ends at the last vring
 *
 * The upper bound has two causes. In linear mode the guest's physical addresses are its virtual
 * ones, and the switcher region at `LGUEST_SWITCHER_ADDR` (0xFFC00000, §5.4) is never mapped there, so
 * RAM and the device pages must end below it: at most 4091 MiB of RAM. And the whole buffer must be
 * one typed array, whose length this Node.js limits to `buffer.constants.MAX_LENGTH` (2^32 bytes on
 * 64-bit Node 20, more on later versions), which is not the binding limit on such a machine. Whether
 * the operating system then grants that much memory is only known when it is allocated.
 */
import { constants as bufferConstants } from 'node:buffer';
import { DEVICE_PAGES, LGUEST_SWITCHER_ADDR, PAGE_SIZE } from '@lguest/abi';
import { hex, LoadError } from './load-error.js';

const MIB = 1 << 20;

/** Bytes reserved above RAM for the device page and the vrings (§10.1). */
export const DEVICE_AREA_BYTES = DEVICE_PAGES * PAGE_SIZE;

/** The most bytes of guest-physical space (RAM + device pages) this host can give a guest. */
export const MAX_GUEST_SPACE = Math.min(LGUEST_SWITCHER_ADDR, bufferConstants.MAX_LENGTH);

/** The largest `<mem-in-MiB>` the Launcher accepts on this host. */
export const MAX_MEMORY_MIB = Math.floor((MAX_GUEST_SPACE - DEVICE_AREA_BYTES) / MIB);

/** Where things go in guest-physical memory, before any device is placed. */
export interface MemoryLayout {
  /** `mem`: bytes of RAM, the e820 size. */
  readonly ramBytes: number;
  /** gpa of the device page: right above RAM. */
  readonly devicePageGpa: number;
  /** End of the device area: the buffer's size, and the most `guest_limit` can grow to. */
  readonly bufferBytes: number;
}

/**
 * Lays out `memoryMiB` MiB of RAM and the device area above it. Throws {@link LoadError} when the
 * size is not a whole number of MiB from 1 to {@link MAX_MEMORY_MIB}.
 */
export function memoryLayout(memoryMiB: number): MemoryLayout {
  if (!Number.isInteger(memoryMiB) || memoryMiB < 1) {
    throw new LoadError(`bad memory size ${memoryMiB}: give a whole number of MiB, at least 1`);
  }
  if (memoryMiB > MAX_MEMORY_MIB) {
    throw new LoadError(
      `memory size ${memoryMiB} MiB is too large: RAM and the ${DEVICE_PAGES} device pages above it must ` +
        `end below ${hex(MAX_GUEST_SPACE)}, so at most ${MAX_MEMORY_MIB} MiB`,
    );
  }
  const ramBytes = memoryMiB * MIB;
  return { ramBytes, devicePageGpa: ramBytes, bufferBytes: ramBytes + DEVICE_AREA_BYTES };
}

/**
 * Multiboot v1 for the standalone runner: finds and checks the kernel's multiboot header and writes
 * the information block the kernel receives in EBX (memory sizes only: flags bit 0). The runner
 * enters the kernel with EAX = {@link MULTIBOOT_BOOTLOADER_MAGIC}.
 */
import { ElfError } from './elf.js';

/** The header magic a multiboot kernel carries in its first 8 KiB. */
export const MULTIBOOT_HEADER_MAGIC = 0x1bad_b002;
/** What the loader puts in EAX. */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2bad_b002;
/** Info flag: mem_lower and mem_upper are valid. */
export const MULTIBOOT_INFO_MEMORY = 1 << 0;
/** Bytes of the information block written (flags, mem_lower, mem_upper, and zeroed fields up to 88 bytes). */
export const MULTIBOOT_INFO_SIZE = 88;

/** Checks for a multiboot v1 header (magic, flags, checksum) in the first 8 KiB, 4-byte aligned. */
export function findMultibootHeader(image: Uint8Array): number {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const end = Math.min(8192, image.length) - 12;
  for (let at = 0; at <= end; at += 4) {
    if (view.getUint32(at, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = view.getUint32(at + 4, true);
    const checksum = view.getUint32(at + 8, true);
    if ((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0 !== 0) {
      throw new ElfError('multiboot header checksum is wrong');
    }
    // Bit 2 asks for video mode information, which this loader cannot give; other required
    // bits (0: page-aligned modules, 1: memory info) are satisfied.
    if (flags & 0x4)
      throw new ElfError('multiboot header asks for a video mode (flag 2), which is not supported');
    return at;
  }
  throw new ElfError('no multiboot header in the first 8 KiB');
}

/** Writes the information block for a machine with `memBytes` of RAM into `block` (88 bytes). */
export function writeMultibootInfo(block: Uint8Array, memBytes: number): void {
  const view = new DataView(block.buffer, block.byteOffset, MULTIBOOT_INFO_SIZE);
  block.fill(0, 0, MULTIBOOT_INFO_SIZE);
  view.setUint32(0, MULTIBOOT_INFO_MEMORY, true);
  view.setUint32(4, 640, true); // mem_lower: KiB of conventional memory
  view.setUint32(8, Math.max(0, Math.floor(memBytes / 1024) - 1024), true); // mem_upper: KiB above 1 MiB
}

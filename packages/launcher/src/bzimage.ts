/**
 * bzImage kernels (spec §8.2): read the setup header, load the protected-mode part at 1 MiB, enter at
 * `code32_start`. Called by `kernel.ts` for a file that is not ELF.
 *
 * Two deliberate departures from the reference Launcher, both in the direction of refusing less
 * garbage silently: `setup_sects` 0 means 4, as the boot protocol says (the reference tool took it
 * literally), and header fields are read only when the image's protocol version says they exist
 * (`cmdline_size` from 2.06, 255 characters before; `pref_address`/`init_size` from 2.10). The
 * decompression buffer `[pref_address, pref_address + init_size)` is reported as occupied, because the
 * decompressor of a non-relocatable kernel always works there and anything the Launcher puts there
 * (an initrd) would be overwritten; before 2.10 an image does not say where that is.
 */
import {
  BZIMAGE_LOAD_ADDRESS,
  BZIMAGE_SECTOR_SIZE,
  COMMAND_LINE_COPY_SIZE,
  LOADED_HIGH,
  SETUP_HEADER_FIELD_VERSIONS,
  SETUP_HEADER_LAYOUT,
  SETUP_HEADER_MAGIC,
} from '@lguest/abi';
import type { KernelImage, OccupiedRange } from './kernel-image.js';
import { hex, LoadError } from './load-error.js';

const H = SETUP_HEADER_LAYOUT;
const V = SETUP_HEADER_FIELD_VERSIONS;

/** The boot protocol: `setup_sects` 0 stands for 4 sectors (very old images left it 0). */
const DEFAULT_SETUP_SECTS = 4;
/** Before protocol 2.06 the command line could hold 255 characters (the NUL not counted). */
const OLD_CMDLINE_SIZE = 255;
/** The "HdrS" magic, and so `version`, `code32_start` and `loadflags`, arrived with protocol 2.00. */
const FIRST_HDRS_VERSION = 0x0200;
/** From protocol 2.04 `syssize` is a full 32-bit count of 16-byte paragraphs. */
const SYSSIZE_32BIT_VERSION = 0x0204;
const FOUR_GIB = 0x1_0000_0000;

/** Bytes a file needs for {@link hasBzImageMagic} to look at the magic. */
export const BZIMAGE_MAGIC_END = H.header.offset + H.header.size;

/** True if `bytes` has the setup-header magic "HdrS" at 0x202. */
export function hasBzImageMagic(bytes: Uint8Array): boolean {
  if (bytes.length < BZIMAGE_MAGIC_END) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(H.header.offset, true) === SETUP_HEADER_MAGIC;
}

/** "2.13" for `0x020d`: how messages and traces name a boot-protocol version. */
export function bootProtocolName(version: number): string {
  return `${version >>> 8}.${(version & 0xff).toString().padStart(2, '0')}`;
}

/** Checks and parses a bzImage; throws {@link LoadError} naming `file` and the bad value. */
export function parseBzImage(bytes: Uint8Array, file: string): KernelImage {
  if (!hasBzImageMagic(bytes)) {
    throw new LoadError(
      `not a kernel: no ELF magic at 0 and no bzImage "HdrS" magic at ${hex(H.header.offset)}`,
      file,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < H.version.offset + H.version.size) {
    throw new LoadError(`truncated bzImage: ${bytes.length} bytes end inside the setup header`, file);
  }
  const version = view.getUint16(H.version.offset, true);
  if (version < FIRST_HDRS_VERSION) {
    throw new LoadError(
      `malformed bzImage: boot protocol version ${bootProtocolName(version)} is older than 2.00`,
      file,
    );
  }

  const rawSects = bytes[H.setupSects.offset];
  const setupSects = rawSects === 0 ? DEFAULT_SETUP_SECTS : rawSects;
  // At least 2 sectors (1024 bytes) of setup, so every header field up to init_size (0x264) is in the file.
  const setupBytes = (setupSects + 1) * BZIMAGE_SECTOR_SIZE;
  if (bytes.length < setupBytes) {
    throw new LoadError(
      `truncated bzImage: setup_sects ${rawSects} puts the protected-mode part at ${hex(setupBytes)}, ` +
        `but the file has only ${bytes.length} bytes`,
      file,
    );
  }
  const protectedMode = bytes.subarray(setupBytes);
  if (protectedMode.length === 0) {
    throw new LoadError(`truncated bzImage: nothing follows the ${setupSects} setup sectors`, file);
  }
  if (version >= SYSSIZE_32BIT_VERSION) {
    const declared = view.getUint32(H.syssize.offset, true) * 16;
    if (declared > protectedMode.length) {
      throw new LoadError(
        `truncated bzImage: syssize says the protected-mode part is ${declared} bytes, ` +
          `the file holds ${protectedMode.length}`,
        file,
      );
    }
  }
  const loadflags = bytes[H.loadflags.offset];
  if ((loadflags & LOADED_HIGH) === 0) {
    throw new LoadError(
      `loadflags ${hex(loadflags)} lacks LOADED_HIGH: an image that loads at 64 KiB (zImage) is not supported`,
      file,
    );
  }

  const image: OccupiedRange = {
    start: BZIMAGE_LOAD_ADDRESS,
    end: BZIMAGE_LOAD_ADDRESS + protectedMode.length,
    kind: 'image',
    what: `protected-mode part at ${hex(BZIMAGE_LOAD_ADDRESS)}`,
  };
  if (image.end > FOUR_GIB) {
    throw new LoadError(`protected-mode part of ${protectedMode.length} bytes runs past 4 GiB`, file);
  }
  const entry = view.getUint32(H.code32Start.offset, true);
  if (entry < image.start || entry >= image.end) {
    throw new LoadError(
      `code32_start ${hex(entry)} is outside the protected-mode part [${hex(image.start)}, ${hex(image.end)})`,
      file,
    );
  }

  const ranges: OccupiedRange[] = [image];
  if (version >= V.prefAddress) {
    const prefAddress = view.getBigUint64(H.prefAddress.offset, true);
    const initSize = view.getUint32(H.initSize.offset, true);
    const end = prefAddress + BigInt(initSize);
    if (end > BigInt(FOUR_GIB)) {
      throw new LoadError(
        `pref_address 0x${prefAddress.toString(16)} + init_size ${hex(initSize)} runs past 4 GiB`,
        file,
      );
    }
    if (initSize > 0) {
      ranges.push({
        start: Number(prefAddress),
        end: Number(end),
        kind: 'decompression',
        what: `decompression area (pref_address + init_size)`,
      });
    }
  }
  ranges.sort((a, b) => a.start - b.start);

  const cmdlineSize =
    version >= V.cmdlineSize ? view.getUint32(H.cmdlineSize.offset, true) : OLD_CMDLINE_SIZE;
  return {
    file,
    format: 'bzImage',
    entry,
    segments: [{ gpa: BZIMAGE_LOAD_ADDRESS, data: protectedMode, memsz: protectedMode.length }],
    ranges,
    // Whatever the header says, the guest copies 2048 bytes including the NUL (§8.1, §8.4).
    cmdlineSize: Math.min(cmdlineSize, COMMAND_LINE_COPY_SIZE - 1),
    protocolVersion: version,
  };
}

/**
 * The boot page: `struct boot_params` at gpa 0, its setup header, and the e820 map (spec §8.1, §8.2).
 *
 * The Launcher writes a zeroed 4 KiB `boot_params` at gpa 0 (and the command line at 0x1000) before
 * `LHREQ_INITIALIZE`; the guest's `startup_32` finds it through `esi = 0`. The same setup-header
 * offsets describe a bzImage file, because `boot_params` embeds a copy of the header at 0x1F1. The
 * Launcher writes this page through {@link BootParamsView}; the kernel loader reads bzImage headers
 * with the same offsets.
 */
import type { FieldLayout } from './layout.js';
import { GuestStructView } from './view.js';

/** Bytes of `struct boot_params` (§8.1). */
export const BOOT_PARAMS_SIZE = 4096;
/** Where the Launcher puts `boot_params`; the guest starts with `esi` pointing here (§5.5, §8.1). */
export const BOOT_PARAMS_GPA = 0;
/** Where the Launcher puts the NUL-terminated command line (`hdr.cmd_line_ptr`) (§8.1). */
export const COMMAND_LINE_GPA = 0x1000;
/** Bytes of the command line the guest copies from `cmd_line_ptr` (§8.1, §8.4). */
export const COMMAND_LINE_COPY_SIZE = 2048;
/** Where the setup header starts inside `boot_params` and inside a bzImage file (§8.2). */
export const SETUP_HEADER_OFFSET = 0x1f1;

/** Fields of `boot_params` outside the setup header that the ABI uses (§8.1, §14.1). */
export const BOOT_PARAMS_LAYOUT = {
  /** Screen info; all zero means "no video hardware". */
  screenInfo: { offset: 0x00, size: 0x40 },
  /** Four scratch bytes the decompressor uses as a one-word stack (§14.1). */
  scratch: { offset: 0x1e4, size: 4 },
  /** Number of e820 entries. */
  e820Entries: { offset: 0x1e8, size: 1 },
  /** Must be 0, or the guest wipes parts of the page as carelessly filled. */
  sentinel: { offset: 0x1ef, size: 1 },
  /** The first e820 entry (the map continues with 20-byte entries). */
  e820Map: { offset: 0x2d0, size: 20 },
} as const satisfies Record<string, FieldLayout>;

/**
 * Setup-header fields, at the same offsets in a bzImage file and in `boot_params` (§8.2). Fields
 * from `kernelAlignment` on exist only from the protocol version in {@link SETUP_HEADER_FIELD_VERSIONS}.
 */
export const SETUP_HEADER_LAYOUT = {
  setupSects: { offset: 0x1f1, size: 1 },
  syssize: { offset: 0x1f4, size: 4 },
  bootFlag: { offset: 0x1fe, size: 2 },
  header: { offset: 0x202, size: 4 },
  version: { offset: 0x206, size: 2 },
  typeOfLoader: { offset: 0x210, size: 1 },
  loadflags: { offset: 0x211, size: 1 },
  code32Start: { offset: 0x214, size: 4 },
  ramdiskImage: { offset: 0x218, size: 4 },
  ramdiskSize: { offset: 0x21c, size: 4 },
  cmdLinePtr: { offset: 0x228, size: 4 },
  initrdAddrMax: { offset: 0x22c, size: 4 },
  kernelAlignment: { offset: 0x230, size: 4 },
  relocatableKernel: { offset: 0x234, size: 1 },
  xloadflags: { offset: 0x236, size: 2 },
  cmdlineSize: { offset: 0x238, size: 4 },
  hardwareSubarch: { offset: 0x23c, size: 4 },
  payloadOffset: { offset: 0x248, size: 4 },
  payloadLength: { offset: 0x24c, size: 4 },
  setupData: { offset: 0x250, size: 8 },
  prefAddress: { offset: 0x258, size: 8 },
  initSize: { offset: 0x260, size: 4 },
} as const satisfies Record<string, FieldLayout>;

/** The boot-protocol version that introduced each late setup-header field (§8.2): read it only when `version >=` this. */
export const SETUP_HEADER_FIELD_VERSIONS = {
  kernelAlignment: 0x0205,
  relocatableKernel: 0x0205,
  cmdlineSize: 0x0206,
  hardwareSubarch: 0x0207,
  payloadOffset: 0x0208,
  payloadLength: 0x0208,
  setupData: 0x0209,
  prefAddress: 0x020a,
  initSize: 0x020a,
  xloadflags: 0x020c,
} as const;

/** "HdrS" read as a little-endian u32 at 0x202 (§8.2). */
export const SETUP_HEADER_MAGIC = 0x5372_6448;
/** The `boot_flag` value at 0x1FE (§8.2). */
export const BOOT_FLAG_MAGIC = 0xaa55;
/** `hdr.version` the Launcher writes, the lowest at which the guest honours `hardware_subarch` (§8.1, §8.4). */
export const LGUEST_BOOT_PROTOCOL_VERSION = 0x0207;
/** `hdr.type_of_loader` the Launcher writes when there is an initrd (§8.1). */
export const LGUEST_TYPE_OF_LOADER = 0xff;
/** `hdr.loadflags` bit: the protected-mode code is loaded at 0x100000 (§8.2). */
export const LOADED_HIGH = 0x01;
/** `hdr.loadflags` bit: do not reload segment registers (§0, §8.1). */
export const KEEP_SEGMENTS = 0x40;
/** `hdr.kernel_alignment` the Launcher writes (§8.1). */
export const LGUEST_KERNEL_ALIGNMENT = 0x0100_0000;

/** Bytes per e820 entry: u64 addr, u64 size, u32 type (§8.1). */
export const E820_ENTRY_SIZE = 20;
/** Entries the `boot_params` e820 table can hold (0x2D0 … 0xCD0). */
export const E820_MAX_ENTRIES = 128;
/** Fields of one e820 entry (§8.1). */
export const E820_ENTRY_LAYOUT = {
  addr: { offset: 0, size: 8 },
  size: { offset: 8, size: 8 },
  type: { offset: 16, size: 4 },
} as const satisfies Record<string, FieldLayout>;
/** e820 type of usable RAM (§8.1). */
export const E820_RAM = 1;

const E820_ENTRIES = BOOT_PARAMS_LAYOUT.e820Entries.offset;
const SENTINEL = BOOT_PARAMS_LAYOUT.sentinel.offset;
const E820_MAP = BOOT_PARAMS_LAYOUT.e820Map.offset;
const H = SETUP_HEADER_LAYOUT;

function checkE820Index(index: number): void {
  if (!(index >= 0 && index < E820_MAX_ENTRIES && Number.isInteger(index))) {
    throw new RangeError(`e820 entry ${index} is not in 0..${E820_MAX_ENTRIES - 1}`);
  }
}

/**
 * A zero-copy view of `boot_params`. The named methods cover the fields the Launcher sets (§8.1);
 * every other setup-header field is reachable with `readField(SETUP_HEADER_LAYOUT.x)`.
 */
export class BootParamsView extends GuestStructView {
  get size(): number {
    return BOOT_PARAMS_SIZE;
  }

  /** Reads `e820_entries`. */
  e820Entries(): number {
    return this.memory.read8(this.gpa + E820_ENTRIES);
  }
  /** Writes `e820_entries`; false if the write was dropped. */
  setE820Entries(count: number): boolean {
    return this.memory.write8(this.gpa + E820_ENTRIES, count);
  }
  /** Reads `sentinel`. */
  sentinel(): number {
    return this.memory.read8(this.gpa + SENTINEL);
  }
  /** Reads `addr` of e820 entry `index`. */
  e820Addr(index: number): bigint {
    checkE820Index(index);
    return this.memory.read64(this.gpa + E820_MAP + index * E820_ENTRY_SIZE);
  }
  /** Reads `size` of e820 entry `index`. */
  e820Size(index: number): bigint {
    checkE820Index(index);
    return this.memory.read64(this.gpa + E820_MAP + index * E820_ENTRY_SIZE + 8);
  }
  /** Reads `type` of e820 entry `index`. */
  e820Type(index: number): number {
    checkE820Index(index);
    return this.memory.read32(this.gpa + E820_MAP + index * E820_ENTRY_SIZE + 16);
  }
  /** Writes e820 entry `index` (it does not change `e820_entries`). */
  setE820(index: number, addr: bigint, size: bigint, type: number): boolean {
    checkE820Index(index);
    const at = this.gpa + E820_MAP + index * E820_ENTRY_SIZE;
    const a = this.memory.write64(at, addr);
    const b = this.memory.write64(at + 8, size);
    const c = this.memory.write32(at + 16, type);
    return a && b && c;
  }

  /** Reads `hdr.version`. */
  version(): number {
    return this.memory.read16(this.gpa + H.version.offset);
  }
  /** Writes `hdr.version`; false if the write was dropped. */
  setVersion(value: number): boolean {
    return this.memory.write16(this.gpa + H.version.offset, value);
  }
  /** Reads `type_of_loader`. */
  typeOfLoader(): number {
    return this.memory.read8(this.gpa + H.typeOfLoader.offset);
  }
  /** Writes `type_of_loader`; false if the write was dropped. */
  setTypeOfLoader(value: number): boolean {
    return this.memory.write8(this.gpa + H.typeOfLoader.offset, value);
  }
  /** Reads `loadflags`. */
  loadflags(): number {
    return this.memory.read8(this.gpa + H.loadflags.offset);
  }
  /** Writes `loadflags`; false if the write was dropped. */
  setLoadflags(value: number): boolean {
    return this.memory.write8(this.gpa + H.loadflags.offset, value);
  }
  /** Reads `ramdisk_image`. */
  ramdiskImage(): number {
    return this.memory.read32(this.gpa + H.ramdiskImage.offset);
  }
  /** Writes `ramdisk_image`; false if the write was dropped. */
  setRamdiskImage(value: number): boolean {
    return this.memory.write32(this.gpa + H.ramdiskImage.offset, value);
  }
  /** Reads `ramdisk_size`. */
  ramdiskSize(): number {
    return this.memory.read32(this.gpa + H.ramdiskSize.offset);
  }
  /** Writes `ramdisk_size`; false if the write was dropped. */
  setRamdiskSize(value: number): boolean {
    return this.memory.write32(this.gpa + H.ramdiskSize.offset, value);
  }
  /** Reads `cmd_line_ptr`. */
  cmdLinePtr(): number {
    return this.memory.read32(this.gpa + H.cmdLinePtr.offset);
  }
  /** Writes `cmd_line_ptr`; false if the write was dropped. */
  setCmdLinePtr(value: number): boolean {
    return this.memory.write32(this.gpa + H.cmdLinePtr.offset, value);
  }
  /** Reads `kernel_alignment`. */
  kernelAlignment(): number {
    return this.memory.read32(this.gpa + H.kernelAlignment.offset);
  }
  /** Writes `kernel_alignment`; false if the write was dropped. */
  setKernelAlignment(value: number): boolean {
    return this.memory.write32(this.gpa + H.kernelAlignment.offset, value);
  }
  /** Reads `hardware_subarch`. */
  hardwareSubarch(): number {
    return this.memory.read32(this.gpa + H.hardwareSubarch.offset);
  }
  /** Writes `hardware_subarch`; false if the write was dropped. */
  setHardwareSubarch(value: number): boolean {
    return this.memory.write32(this.gpa + H.hardwareSubarch.offset, value);
  }
}

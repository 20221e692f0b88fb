/**
 * `@lguest/launcher`: the `lguest` program — its command line, and everything it does before
 * `LHREQ_INITIALIZE`: the memory layout, ELF and bzImage loading, the initrd, the boot page and the
 * devices on the device page ({@link prepareGuest}) — and its run loop on the Host's `/dev/lguest` file
 * ({@link runGuest}, {@link FileTransport}), console input and the terminal.
 */
export { type BootPageContents, encodeCommandLine, writeBootPage } from './boot-page.js';
export { bootProtocolName, hasBzImageMagic, parseBzImage } from './bzimage.js';
export { ConsoleInput, type ConsoleInputOptions, type ConsoleInputTarget } from './console-input.js';
export { parseElfKernel } from './elf-loader.js';
export { FileTransport } from './file-transport.js';
export { type InitrdPlacement, loadInitrd, placeInitrd } from './initrd.js';
export {
  BOOT_AREA_END,
  checkKernelFits,
  hasElfMagic,
  kernelRamNeeded,
  loadKernel,
  parseKernel,
} from './kernel.js';
export type { KernelImage, KernelSegment, OccupiedRange } from './kernel-image.js';
export {
  DEVICE_AREA_BYTES,
  MAX_GUEST_SPACE,
  MAX_MEMORY_MIB,
  type MemoryLayout,
  memoryLayout,
} from './layout.js';
export { LoadError } from './load-error.js';
export { type LauncherIo, main } from './main.js';
export {
  type DeviceOption,
  type LaunchOptions,
  type ParsedCommandLine,
  parseCommandLine,
  USAGE,
} from './options.js';
export { type PreparedGuest, type PrepareIo, prepareGuest } from './prepare.js';
export { dropPrivileges, lookUpUser, type UserIds } from './privileges.js';
export { type GuestEnd, POWER_DOWN_REASON, type RunLoopOptions, runGuest } from './run-loop.js';
export { Terminal, type TerminalInput } from './terminal.js';
export { formatTraceEvent } from './trace-format.js';
export { VERSION } from './version.js';

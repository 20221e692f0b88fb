/**
 * The boot page (spec §8.1): `struct boot_params` at gpa 0 and the kernel command line at 0x1000,
 * which the guest's `startup_32` finds through `esi = 0`. `prepare.ts` writes them after loading the
 * kernel and placing the initrd.
 *
 * Only the fields of §8.1 are set; every other byte stays zero. That matters: a non-zero `sentinel`
 * makes the guest treat the page as carelessly filled and wipe parts of it, and zero screen-info
 * fields say there is no video hardware. Nothing is copied from a bzImage's own header.
 */
import {
  BOOT_PARAMS_GPA,
  BOOT_PARAMS_SIZE,
  BootParamsView,
  COMMAND_LINE_GPA,
  E820_RAM,
  type GuestMemory,
  KEEP_SEGMENTS,
  LGUEST_BOOT_PROTOCOL_VERSION,
  LGUEST_KERNEL_ALIGNMENT,
  LGUEST_TYPE_OF_LOADER,
  X86_SUBARCH_LGUEST,
} from '@lguest/abi';
import type { InitrdPlacement } from './initrd.js';
import { LoadError } from './load-error.js';

/**
 * The command line as the guest will read it: `args` joined by single spaces, UTF-8, NUL-terminated.
 * Throws {@link LoadError} (naming `kernelFile`) when it is longer than `cmdlineSize` bytes, the most
 * the kernel takes, or contains a NUL (the guest would stop reading there).
 */
export function encodeCommandLine(
  args: readonly string[],
  cmdlineSize: number,
  kernelFile: string,
): Uint8Array {
  const text = args.join(' ');
  if (text.includes('\0')) throw new LoadError('the kernel command line contains a NUL character');
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > cmdlineSize) {
    throw new LoadError(
      `the kernel command line is ${bytes.length} bytes; this kernel takes at most ${cmdlineSize} (cmdline_size)`,
      kernelFile,
    );
  }
  const line = new Uint8Array(bytes.length + 1);
  line.set(bytes);
  return line;
}

/** What goes on the boot page. */
export interface BootPageContents {
  /** Bytes of RAM (the e820 entry's size). */
  readonly ramBytes: number;
  /** The NUL-terminated command line from {@link encodeCommandLine}. */
  readonly commandLine: Uint8Array;
  /** The initrd, if there is one. */
  readonly initrd: InitrdPlacement | undefined;
}

/**
 * Writes `boot_params` at gpa 0 and the command line at 0x1000 (§8.1, §8.3). The page is zeroed first,
 * so it holds exactly the fields below. `memory` must hold both (any RAM size the layout allows does).
 */
export function writeBootPage(memory: GuestMemory, contents: BootPageContents): void {
  const ok = memory.copyIn(BOOT_PARAMS_GPA, new Uint8Array(BOOT_PARAMS_SIZE));
  const page = new BootParamsView(memory, BOOT_PARAMS_GPA);
  const writes = [
    ok,
    page.setE820Entries(1),
    page.setE820(0, 0n, BigInt(contents.ramBytes), E820_RAM),
    // 2.07 is the lowest version at which the guest honours hardware_subarch (§8.4 step 2).
    page.setVersion(LGUEST_BOOT_PROTOCOL_VERSION),
    // The guest runs with the Host's segments already loaded; it must not reload them.
    page.setLoadflags(KEEP_SEGMENTS),
    page.setCmdLinePtr(COMMAND_LINE_GPA),
    page.setKernelAlignment(LGUEST_KERNEL_ALIGNMENT),
    page.setHardwareSubarch(X86_SUBARCH_LGUEST),
    memory.copyIn(COMMAND_LINE_GPA, contents.commandLine),
  ];
  const initrd = contents.initrd;
  if (initrd !== undefined) {
    // Linux ignores the initrd fields while type_of_loader is 0.
    writes.push(
      page.setTypeOfLoader(LGUEST_TYPE_OF_LOADER),
      page.setRamdiskImage(initrd.gpa),
      page.setRamdiskSize(initrd.size),
    );
  }
  if (writes.includes(false)) throw new Error('the boot page does not fit the guest memory');
}

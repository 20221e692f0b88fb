/**
 * Everything the Launcher does before `LHREQ_INITIALIZE` (spec §10.1 steps 1–3): lay out memory,
 * check and load the kernel, place the initrd, write the boot page, and put the devices on the device
 * page above RAM (in option order, the console last). `main` calls {@link prepareGuest} once; the run
 * loop takes the result, opens the Host's file with {@link PreparedGuest.initializeWords}, and serves
 * NOTIFY values through {@link PreparedGuest.bus}.
 *
 * The memory size, the kernel, the command line and the initrd are all checked before guest memory is
 * allocated; device files are opened last. Any failure is a {@link LoadError} and leaves nothing open.
 */
import { readFileSync, statSync } from 'node:fs';
import { GuestMemory, PAGE_SIZE, type VirtioTransport } from '@lguest/abi';
import {
  BlockDevice,
  ConsoleDevice,
  type ConsoleOptions,
  LguestBus,
  type LguestBusOptions,
  LocalTransport,
  RngDevice,
  type VirtioDevice,
} from '@lguest/devices';
import { encodeCommandLine, writeBootPage } from './boot-page.js';
import { bootProtocolName } from './bzimage.js';
import { type InitrdPlacement, loadInitrd, placeInitrd } from './initrd.js';
import { checkKernelFits, loadKernel, parseKernel } from './kernel.js';
import type { KernelImage } from './kernel-image.js';
import { type MemoryLayout, memoryLayout } from './layout.js';
import { hex, LoadError } from './load-error.js';
import type { LaunchOptions } from './options.js';

/** How {@link prepareGuest} reaches files, the console and the Host; every field has a default. */
export interface PrepareIo {
  /** Reads a whole file (kernel, initrd). Default `fs.readFileSync`. Node errno errors become {@link LoadError}s. */
  readonly readFile?: (path: string) => Uint8Array;
  /**
   * Says how big a file is, so an initrd far larger than RAM is refused before it is read. Default
   * `fs.statSync` when `readFile` is the default too; otherwise no early check (the read length decides).
   */
  readonly fileSize?: (path: string) => number;
  /** Opens a `--block` file as a device. Default `BlockDevice.open`. */
  readonly openBlock?: (path: string) => VirtioDevice;
  /** The console device's output and input. Default: output to `process.stdout`, no input. */
  readonly console?: ConsoleOptions;
  /** Makes the transport the devices reach the guest through. Default: a `LocalTransport` (no Host). */
  readonly transport?: (memory: GuestMemory) => VirtioTransport;
  /** Bus options other than the RAM size (early-console sink, warnings, `listen`). */
  readonly bus?: Omit<LguestBusOptions, 'ramSize'>;
  /** Receives the loading trace (`--verbose`), one line per call, without a newline. */
  readonly trace?: (line: string) => void;
}

/** A guest ready for `LHREQ_INITIALIZE`. */
export interface PreparedGuest {
  /** The guest's memory buffer: RAM, then the device page and the vrings. */
  readonly buffer: SharedArrayBuffer;
  /** Checked access to it, with `pfn_limit` already set to {@link PreparedGuest.pfnLimit}. */
  readonly memory: GuestMemory;
  readonly layout: MemoryLayout;
  readonly kernel: KernelImage;
  readonly initrd: InitrdPlacement | undefined;
  /** The command line as written at 0x1000 (without the NUL). */
  readonly commandLine: string;
  readonly transport: VirtioTransport;
  /** The device page's bus; route the guest's NOTIFY values here. */
  readonly bus: LguestBus;
  /** The devices in descriptor order: the option devices, then the console. */
  readonly devices: readonly VirtioDevice[];
  readonly console: ConsoleDevice;
  /** Where the guest starts (a gpa). */
  readonly entry: number;
  /** `guest_limit`: RAM, the device page and every vring. */
  readonly guestLimit: number;
  /** `guest_limit / 4096`. */
  readonly pfnLimit: number;
  /** The words of `LHREQ_INITIALIZE`: base (gpa 0's offset in {@link PreparedGuest.buffer}), pfnlimit, start. */
  readonly initializeWords: readonly [number, number, number];
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
};

/** A file the host could not read or open, as a {@link LoadError} naming the file and why. */
function fileError(error: unknown, file: string, what: string): LoadError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined)
    return new LoadError(`cannot ${what}: ${String((error as Error)?.message ?? error)}`, file);
  return new LoadError(`cannot ${what}: ${ERRNO_TEXT[code] ?? (error as Error).message}`, file);
}

function readWith<T>(read: (path: string) => T, file: string, what: string): T {
  try {
    return read(file);
  } catch (error) {
    if (error instanceof LoadError) throw error;
    throw fileError(error, file, `read the ${what}`);
  }
}

/**
 * Builds the guest of `options` (spec §8, §10.1): checks every size and file, then allocates memory,
 * loads the kernel and initrd, writes the boot page, and places the devices. Throws {@link LoadError}
 * for anything the user must fix; nothing stays open then.
 */
export function prepareGuest(options: LaunchOptions, io: PrepareIo = {}): PreparedGuest {
  const trace = io.trace ?? (() => {});
  const read = io.readFile ?? ((path: string) => readFileSync(path));

  const layout = memoryLayout(options.memoryMiB);
  const kernel = parseKernel(readWith(read, options.kernel, 'kernel'), options.kernel);
  checkKernelFits(kernel, layout.ramBytes);
  const commandLine = encodeCommandLine(options.kernelArgs, kernel.cmdlineSize, options.kernel);
  let initrdBytes: Uint8Array | undefined;
  let initrd: InitrdPlacement | undefined;
  if (options.initrd !== undefined) {
    const sizeOf =
      io.fileSize ?? (io.readFile === undefined ? (path: string) => statSync(path).size : undefined);
    if (sizeOf !== undefined) {
      const size = readWith((path) => sizeOf(path), options.initrd, 'initrd');
      placeInitrd(size, layout.ramBytes, kernel.ranges, commandLine.length, options.initrd);
    }
    initrdBytes = readWith(read, options.initrd, 'initrd');
    initrd = placeInitrd(
      initrdBytes.length,
      layout.ramBytes,
      kernel.ranges,
      commandLine.length,
      options.initrd,
    );
  }

  let buffer: SharedArrayBuffer;
  try {
    buffer = new SharedArrayBuffer(layout.bufferBytes);
  } catch (error) {
    throw new LoadError(
      `cannot allocate ${options.memoryMiB} MiB of guest memory (${layout.bufferBytes} bytes with the device pages): ` +
        `${(error as Error).message}`,
    );
  }
  const memory = new GuestMemory(buffer);
  loadKernel(memory, kernel);
  if (initrd !== undefined && initrdBytes !== undefined) loadInitrd(memory, initrdBytes, initrd);
  writeBootPage(memory, { ramBytes: layout.ramBytes, commandLine, initrd });
  const commandText = new TextDecoder().decode(commandLine.subarray(0, commandLine.length - 1));

  trace(
    `memory: ${options.memoryMiB} MiB of RAM [0, ${hex(layout.ramBytes)}), device page at ${hex(layout.devicePageGpa)}, ` +
      `device area up to ${hex(layout.bufferBytes)}`,
  );
  const format =
    kernel.protocolVersion === undefined
      ? 'ELF'
      : `bzImage, boot protocol ${bootProtocolName(kernel.protocolVersion)}`;
  trace(`kernel: ${kernel.file} (${format}), entry ${hex(kernel.entry)}`);
  for (const range of kernel.ranges) trace(`  ${range.what}: [${hex(range.start)}, ${hex(range.end)})`);
  if (initrd !== undefined) {
    trace(
      `initrd: ${options.initrd} (${initrd.length} bytes) at [${hex(initrd.gpa)}, ${hex(initrd.gpa + initrd.size)})`,
    );
  }
  trace(
    `boot page at 0x0, command line at 0x1000 (${commandLine.length - 1} bytes): ${JSON.stringify(commandText)}`,
  );

  const transport = (io.transport ?? ((m: GuestMemory) => new LocalTransport(m)))(memory);
  const bus = new LguestBus(transport, { ...io.bus, ramSize: layout.ramBytes });
  const add = <D extends VirtioDevice>(device: D): D => {
    try {
      bus.add(device);
    } catch (error) {
      device.close();
      if (error instanceof RangeError) throw new LoadError(`cannot add ${device.name}: ${error.message}`);
      throw error;
    }
    const placed = bus.devices[bus.devices.length - 1];
    const queues = placed.queues
      .map((q, i) => `${device.queues[i].name} vring at ${hex(q.gpa)} irq ${q.irq}`)
      .join(', ');
    trace(
      `device: ${device.name} (type ${device.type}) descriptor at ${hex(placed.descriptorGpa)}; ${queues}`,
    );
    return device;
  };
  try {
    const openBlock = io.openBlock ?? ((path: string) => BlockDevice.open(path));
    for (const option of options.devices) {
      if (option.kind === 'block') {
        let device: VirtioDevice;
        try {
          device = openBlock(option.path);
        } catch (error) {
          throw error instanceof LoadError
            ? error
            : fileError(error, option.path, 'open the block device file');
        }
        add(device);
      } else {
        add(new RngDevice());
      }
    }
    // The console always comes last, after every device option (§10.1 step 2).
    const consoleDevice = add(new ConsoleDevice(io.console ?? { output: process.stdout }));

    const guestLimit = bus.limit;
    const pfnLimit = guestLimit / PAGE_SIZE;
    memory.setPfnLimit(pfnLimit);
    trace(
      `guest_limit ${hex(guestLimit)}, pfn_limit ${pfnLimit}; INITIALIZE(${memory.base}, ${pfnLimit}, ${hex(kernel.entry)})`,
    );
    return {
      buffer,
      memory,
      layout,
      kernel,
      initrd,
      commandLine: commandText,
      transport,
      bus,
      devices: bus.devices.map((d) => d.device),
      console: consoleDevice,
      entry: kernel.entry,
      guestLimit,
      pfnLimit,
      initializeWords: [memory.base, pfnLimit, kernel.entry],
    };
  } catch (error) {
    bus.close();
    throw error;
  }
}

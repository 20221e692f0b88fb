/**
 * The standalone runner: boots a multiboot v1 ELF kernel on a bare `Cpu` — what `lguest-x86` does and
 * how users and benchmarks run bare-metal code. The kernel is entered in flat 32-bit protected mode at
 * CPL 0 with paging and interrupts off, EAX = 0x2BADB002 and EBX pointing at a multiboot information
 * block. Bytes written to COM1 (0x3F8) go to `stdout` as they are written (the line-status register at
 * 0x3FD always reads "transmitter empty"); a write of `v` to port 0xF4 (QEMU's isa-debug-exit) ends
 * the run with status `(v << 1) | 1`; HLT ends it with 0 (nothing can wake the CPU), a triple fault
 * with 2, and running out of `maxInstructions` with 3.
 */
import { GuestMemory } from '@lguest/abi';
import { type Cpu, createFlatCpu, type PortIo, REG_EAX, REG_EBX, REG_ESP } from './cpu.js';
import { ElfError, parseElf32 } from './elf.js';
import {
  findMultibootHeader,
  MULTIBOOT_BOOTLOADER_MAGIC,
  MULTIBOOT_INFO_SIZE,
  writeMultibootInfo,
} from './multiboot.js';

/** COM1's data port and line-status register. */
export const COM1 = 0x3f8;
export const COM1_LSR = COM1 + 5;
/** QEMU's isa-debug-exit port. */
export const DEBUG_EXIT_PORT = 0xf4;

/** Exit statuses of {@link runMultiboot} (and the `lguest-x86` process). */
export const STATUS_HALT = 0;
export const STATUS_TRIPLE_FAULT = 2;
export const STATUS_INSTRUCTION_LIMIT = 3;

/** Options for {@link runMultiboot}. */
export interface RunnerOptions {
  /** Guest RAM in MiB (default 32). */
  memMiB?: number;
  /** Stop with status 3 after this many instructions (default: no limit). */
  maxInstructions?: number;
  /** Receives COM1 output. */
  stdout?: (bytes: Uint8Array) => void;
  /** Installs an x87 unit or other extras on the CPU before it starts. */
  configure?: (cpu: Cpu) => void;
}

/** How a run ended. */
export interface RunnerResult {
  status: number;
  /** One line for stderr. */
  message: string;
  instructions: number;
  seconds: number;
}

/** Instructions per `run()` call: COM1 output is flushed between slices. */
const SLICE = 1 << 20;

/** Loads `image` and runs it to its end. Throws {@link ElfError} for an image that cannot be loaded. */
export function runMultiboot(image: Uint8Array, options: RunnerOptions = {}): RunnerResult {
  const memMiB = options.memMiB ?? 32;
  if (!Number.isInteger(memMiB) || memMiB < 1 || memMiB > 3072) {
    throw new RangeError(`memory size ${memMiB} MiB is outside 1..3072`);
  }
  const memBytes = memMiB << 20;
  findMultibootHeader(image);
  const elf = parseElf32(image);
  const memory = new GuestMemory(new ArrayBuffer(memBytes));
  for (const seg of elf.segments) {
    if (seg.paddr + seg.memsz > memBytes) {
      throw new ElfError(
        `segment at 0x${seg.paddr.toString(16)} (${seg.memsz} bytes) does not fit in ${memMiB} MiB of memory`,
      );
    }
    memory.bytes.set(seg.data, seg.paddr);
    memory.bytes.fill(0, seg.paddr + seg.data.length, seg.paddr + seg.memsz);
  }
  const info = placeInfo(elf.segments, memBytes);
  writeMultibootInfo(memory.bytes.subarray(info, info + MULTIBOOT_INFO_SIZE), memBytes);

  const out: number[] = [];
  let exitValue: number | undefined;
  let cpu: Cpu | undefined;
  // The UART's registers, so that programming the baud rate (divisor latch, LCR bit 7) does not
  // come out as data.
  const uart = new Uint8Array(8);
  const divisor = new Uint8Array(2);
  const dlab = (): boolean => (uart[3] & 0x80) !== 0;
  const io: PortIo = {
    in(port) {
      if (port === COM1_LSR) return 0x60;
      if (port >= COM1 && port < COM1 + 8) {
        const reg = port - COM1;
        if (reg < 2 && dlab()) return divisor[reg];
        return reg === 0 ? 0 : uart[reg];
      }
      return 0xffff_ffff;
    },
    out(port, _size, value) {
      if (port >= COM1 && port < COM1 + 8) {
        const reg = port - COM1;
        if (reg < 2 && dlab()) divisor[reg] = value;
        else if (reg === 0) out.push(value & 0xff);
        else uart[reg] = value;
      } else if (port === DEBUG_EXIT_PORT) {
        exitValue = value;
        cpu?.requestStop();
      }
    },
  };
  cpu = createFlatCpu(memory, { io });
  options.configure?.(cpu);
  cpu.eip = elf.entry;
  cpu.regs[REG_EAX] = MULTIBOOT_BOOTLOADER_MAGIC;
  cpu.regs[REG_EBX] = info;
  cpu.regs[REG_ESP] = info; // multiboot leaves ESP undefined; this gives a usable stack below the info block

  const flush = (): void => {
    if (out.length > 0) {
      options.stdout?.(Uint8Array.from(out));
      out.length = 0;
    }
  };
  const limit = options.maxInstructions ?? Number.POSITIVE_INFINITY;
  const start = performance.now();
  const finish = (status: number, message: string): RunnerResult => {
    flush();
    return {
      status,
      message,
      instructions: cpu.instructionCount,
      seconds: (performance.now() - start) / 1000,
    };
  };
  for (;;) {
    const left = limit - cpu.instructionCount;
    if (left <= 0) return finish(STATUS_INSTRUCTION_LIMIT, `instruction limit (${limit}) reached`);
    const exit = cpu.run(Math.min(SLICE, left));
    flush();
    switch (exit.kind) {
      case 'budget':
        continue;
      case 'halt':
        return finish(
          STATUS_HALT,
          `halted at 0x${(cpu.eip >>> 0).toString(16)} with nothing to wake the CPU`,
        );
      case 'triple-fault':
        return finish(STATUS_TRIPLE_FAULT, `triple fault at 0x${(cpu.eip >>> 0).toString(16)}`);
      case 'stop':
        if (exitValue !== undefined) {
          const v = exitValue;
          return finish(((v << 1) | 1) & 0xff, `guest wrote 0x${v.toString(16)} to the debug-exit port`);
        }
        continue;
      default:
        return finish(STATUS_TRIPLE_FAULT, `unexpected exit ${exit.kind}`);
    }
  }
}

/** The first 4 KiB-aligned spot above 0x1000 that no segment overlaps, for the information block. */
function placeInfo(segments: readonly { paddr: number; memsz: number }[], memBytes: number): number {
  for (let at = 0x1000; at + 0x1000 <= memBytes; at += 0x1000) {
    const clash = segments.some((s) => s.paddr < at + 0x1000 && at < s.paddr + s.memsz);
    if (!clash) return at + 0x1000 - MULTIBOOT_INFO_SIZE - 8;
  }
  throw new ElfError('no room for the multiboot information block');
}

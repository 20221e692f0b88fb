/**
 * The CPU's architectural names and the types an embedder meets: register and segment indices, the
 * CR0/CR4 bits, the exits of `run()`, the control-block layout, the port-I/O and physical-memory
 * seams, and the options of `new Cpu()`. `cpu.ts` re-exports all of it; every part of the core
 * imports these names from there.
 */
import type { HostFrame } from '@lguest/abi';
import type { TranslationProvider } from './translation.js';
import type { X87Unit } from './x87-seam.js';

export const REG_EAX = 0;
export const REG_ECX = 1;
export const REG_EDX = 2;
export const REG_EBX = 3;
export const REG_ESP = 4;
export const REG_EBP = 5;
export const REG_ESI = 6;
export const REG_EDI = 7;

export const SEG_ES = 0;
export const SEG_CS = 1;
export const SEG_SS = 2;
export const SEG_DS = 3;
export const SEG_FS = 4;
export const SEG_GS = 5;

/** Port I/O handlers: IN returns the value read (low `size` bytes used), OUT receives it. */
export interface PortIo {
  in(port: number, size: 1 | 2 | 4): number;
  out(port: number, size: 1 | 2 | 4, value: number): void;
}

/** Physical memory by page frame number. `GuestMemory` satisfies it. */
export interface PhysicalMemory {
  frame(pfn: number): HostFrame | undefined;
}

/** Why `run()`/`step()` stopped. */
export type CpuExit =
  | { kind: 'vector'; vector: number; errorCode: number | undefined; cr2: number; eip: number }
  | { kind: 'stop' }
  | { kind: 'halt' }
  | { kind: 'triple-fault' }
  | { kind: 'budget' };

/**
 * Layout of the shared control block (an `Int32Array`, usually over a `SharedArrayBuffer`): the CPU
 * reads word {@link CONTROL_STOP} with `Atomics.load` when `run()` starts and at least every
 * {@link CONTROL_CHECK_INTERVAL} instructions, and returns `{kind: 'stop'}` while it is non-zero.
 * The CPU never writes the block; whoever set the word clears it.
 */
export const CONTROL_STOP = 0;
/** Words in the control block the CPU reads. */
export const CONTROL_WORDS = 1;
/** Maximum number of instructions between two checks of the control block. */
export const CONTROL_CHECK_INTERVAL = 1024;

/** The hidden and visible parts of one segment register. */
export interface SegmentState {
  selector: number;
  base: number;
  /** Byte-granular limit. */
  limit: number;
  /** Descriptor attribute bits, see {@link Descriptor.attributes}. */
  attributes: number;
}

/** A descriptor-table register (GDTR, IDTR) or the hidden part of LDTR/TR. */
export interface TableRegister {
  selector: number;
  base: number;
  limit: number;
}

/** Options for {@link Cpu}. */
export interface CpuOptions {
  memory: PhysicalMemory;
  /** Linear → physical translation. Default: the i386 page walker over `memory`. */
  translation?: TranslationProvider;
  io?: PortIo;
  /** The shared control block, see {@link CONTROL_STOP}. */
  control?: Int32Array;
  /**
   * The x87 unit. Default: a fresh `X87` (`fpu/x87.ts`); `null` for a CPU without one (ESC opcodes
   * then raise #NM when CR0.EM/TS say so, else #UD).
   */
  fpu?: X87Unit | null;
}

/** CR0 bits. */
export const CR0_PE = 1 << 0;
export const CR0_MP = 1 << 1;
export const CR0_EM = 1 << 2;
export const CR0_TS = 1 << 3;
export const CR0_ET = 1 << 4;
export const CR0_NE = 1 << 5;
export const CR0_WP = 1 << 16;
export const CR0_PG = 1 << 31;
/** CR4 bits. */
export const CR4_TSD = 1 << 2;
export const CR4_PSE = 1 << 4;

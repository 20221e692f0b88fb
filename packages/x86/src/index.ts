/**
 * `@lguest/x86`: an i686 protected-mode CPU for lguest.ts — decoder, interpreter, lazy flags,
 * segmentation and protection for CPL 0/1/3, IDT delivery with exits, a TLB over host frames, the
 * i386 page walker, and a standalone multiboot runner.
 */
export {
  CONTROL_CHECK_INTERVAL,
  CONTROL_STOP,
  CONTROL_WORDS,
  Cpu,
  type CpuExit,
  type CpuOptions,
  CR0_EM,
  CR0_ET,
  CR0_MP,
  CR0_NE,
  CR0_PE,
  CR0_PG,
  CR0_TS,
  CR0_WP,
  CR4_PSE,
  CR4_TSD,
  createFlatCpu,
  type PhysicalMemory,
  type PortIo,
  REG_EAX,
  REG_EBP,
  REG_EBX,
  REG_ECX,
  REG_EDI,
  REG_EDX,
  REG_ESI,
  REG_ESP,
  SEG_CS,
  SEG_DS,
  SEG_ES,
  SEG_FS,
  SEG_GS,
  SEG_SS,
  type SegmentState,
  type TableRegister,
} from './cpu.js';
export { CPUID_1_EAX_DEFAULT, CPUID_1_EDX_DEFAULT, type CpuidTable, DEFAULT_CPUID } from './cpuid.js';
export { F_MODRM, F_VALID, FLAGS_READ, FLAGS_WRITTEN, OPCODE_FORMS } from './decoder.js';
export { Descriptor, type DescriptorSource, flatAttributes, HostDescriptorTables } from './descriptors.js';
export { ElfError, type ElfImage, type ElfSegment, parseElf32 } from './elf.js';
export {
  FLAG_AC,
  FLAG_AF,
  FLAG_CF,
  FLAG_DF,
  FLAG_ID,
  FLAG_IF,
  FLAG_IOPL,
  FLAG_NT,
  FLAG_OF,
  FLAG_PF,
  FLAG_RF,
  FLAG_SF,
  FLAG_TF,
  FLAG_ZF,
} from './flags.js';
export { X87, X87_OK, X87_UD } from './fpu/x87.js';
export { LinearDescriptorTables } from './linear-tables.js';
export {
  findMultibootHeader,
  MULTIBOOT_BOOTLOADER_MAGIC,
  MULTIBOOT_HEADER_MAGIC,
  writeMultibootInfo,
} from './multiboot.js';
export { PageWalker } from './page-walker.js';
export {
  COM1,
  COM1_LSR,
  DEBUG_EXIT_PORT,
  type RunnerOptions,
  type RunnerResult,
  runMultiboot,
  STATUS_HALT,
  STATUS_INSTRUCTION_LIMIT,
  STATUS_TRIPLE_FAULT,
} from './runner.js';
export {
  ACCESS_FETCH,
  ACCESS_READ,
  ACCESS_WRITE,
  type Access,
  createTranslation,
  isTranslateFault,
  PF_FETCH,
  PF_PRESENT,
  PF_RESERVED,
  PF_USER,
  PF_WRITE,
  type TlbInvalidator,
  TRANSLATE_FAULT,
  type Translation,
  type TranslationProvider,
} from './translation.js';
export { UNBACKED_FRAME } from './unbacked.js';
export type { X87Host, X87Unit } from './x87-seam.js';

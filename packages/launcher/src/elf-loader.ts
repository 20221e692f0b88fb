/**
 * ELF `vmlinux` kernels (spec §8.2): the header checks the reference Launcher makes, plus the bounds
 * checks it leaves out. Called by `kernel.ts` when a file starts with the ELF magic.
 *
 * The generic ELF32 parsing (identification bytes, `ET_EXEC`, `EM_386`, the program-header table and
 * every `PT_LOAD` segment inside the file, `p_filesz <= p_memsz`, no segment wrapping past 4 GiB) is
 * `parseElf32` of `@lguest/x86`, shared with the CPU's multiboot runner. On top of it this file adds
 * what lguest requires and that parser tolerates: `e_phentsize` exactly 32 (the parser accepts larger
 * entries), `e_phnum` at most 2048, and an entry point inside a loaded segment. Whether each segment
 * fits the guest's RAM is checked later, when the memory size is known (`kernel.ts`).
 */
import { COMMAND_LINE_COPY_SIZE, ELF_MAX_PHNUM, ELF32_PHDR_SIZE } from '@lguest/abi';
import { ElfError, parseElf32 } from '@lguest/x86';
import type { KernelImage, OccupiedRange } from './kernel-image.js';
import { hex, LoadError } from './load-error.js';

/** ELF header offsets the parser does not hand back. */
const E_PHENTSIZE = 42;
const E_PHNUM = 44;

/** Checks and parses an ELF vmlinux; throws {@link LoadError} naming `file` and the bad value. */
export function parseElfKernel(bytes: Uint8Array, file: string): KernelImage {
  let elf: ReturnType<typeof parseElf32>;
  try {
    elf = parseElf32(bytes);
  } catch (error) {
    if (error instanceof ElfError) throw new LoadError(`bad ELF kernel: ${error.message}`, file);
    throw error;
  }
  // parseElf32 succeeded, so the 52-byte header is there.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phentsize = view.getUint16(E_PHENTSIZE, true);
  if (phentsize !== ELF32_PHDR_SIZE) {
    throw new LoadError(`Malformed elf header: e_phentsize is ${phentsize}, not ${ELF32_PHDR_SIZE}`, file);
  }
  const phnum = view.getUint16(E_PHNUM, true);
  if (phnum > ELF_MAX_PHNUM) {
    throw new LoadError(`Malformed elf header: e_phnum is ${phnum}, more than ${ELF_MAX_PHNUM}`, file);
  }

  const ranges: OccupiedRange[] = [];
  elf.segments.forEach((segment, i) => {
    if (segment.memsz === 0) return;
    ranges.push({
      start: segment.paddr,
      end: segment.paddr + segment.memsz,
      kind: 'image',
      what: `PT_LOAD segment ${i} at ${hex(segment.paddr)}`,
    });
  });
  const entry = elf.entry >>> 0;
  // The Host would start the guest there and it would fault at once; say so now instead.
  if (!ranges.some((r) => entry >= r.start && entry < r.end)) {
    throw new LoadError(`entry point ${hex(entry)} is not inside any PT_LOAD segment`, file);
  }
  ranges.sort((a, b) => a.start - b.start);
  return {
    file,
    format: 'elf',
    entry,
    // An empty segment loads nothing and occupies nothing.
    segments: elf.segments
      .filter((s) => s.memsz > 0)
      .map((s) => ({ gpa: s.paddr, data: s.data, memsz: s.memsz })),
    ranges,
    // A vmlinux carries no setup header; the guest copies 2048 bytes including the NUL (§8.1).
    cmdlineSize: COMMAND_LINE_COPY_SIZE - 1,
    protocolVersion: undefined,
  };
}

/**
 * ELF32 loading for the standalone runner: validates an i386 executable's headers and hands back its
 * loadable segments, each checked to lie inside the file. The runner (`runner.ts`) checks that every
 * segment fits the machine's memory. Images are untrusted input: every offset and size is checked,
 * with 32-bit overflow in mind, and problems are reported as {@link ElfError}.
 */

/** A bad or unsupported image; the message says what is wrong. */
export class ElfError extends Error {
  override name = 'ElfError';
}

/** One PT_LOAD segment. */
export interface ElfSegment {
  /** Physical load address (p_paddr). */
  paddr: number;
  /** Bytes taken from the file. */
  data: Uint8Array;
  /** Bytes in memory (the rest beyond `data` is zeroed). */
  memsz: number;
}

export interface ElfImage {
  entry: number;
  segments: ElfSegment[];
}

const PT_LOAD = 1;

/** Parses an ELF32 little-endian i386 executable. */
export function parseElf32(image: Uint8Array): ElfImage {
  if (image.length < 52) throw new ElfError('file too short for an ELF header');
  if (image[0] !== 0x7f || image[1] !== 0x45 || image[2] !== 0x4c || image[3] !== 0x46) {
    throw new ElfError('not an ELF file (bad magic)');
  }
  if (image[4] !== 1) throw new ElfError('not a 32-bit ELF file');
  if (image[5] !== 1) throw new ElfError('not a little-endian ELF file');
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  if (type !== 2) throw new ElfError('not an executable ELF file (e_type is not ET_EXEC)');
  if (machine !== 3) throw new ElfError('not an i386 ELF file');
  const entry = view.getUint32(24, true);
  const phoff = view.getUint32(28, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  if (phnum === 0) throw new ElfError('no program headers');
  if (phentsize < 32) throw new ElfError('program header entries are too small');
  if (phoff + phnum * phentsize > image.length) throw new ElfError('program headers lie outside the file');
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const offset = view.getUint32(at + 4, true);
    const paddr = view.getUint32(at + 12, true);
    const filesz = view.getUint32(at + 16, true);
    const memsz = view.getUint32(at + 20, true);
    if (filesz > memsz) throw new ElfError(`segment ${i}: file size exceeds memory size`);
    if (offset + filesz > image.length) throw new ElfError(`segment ${i}: data lies outside the file`);
    if (paddr + memsz > 0x1_0000_0000) throw new ElfError(`segment ${i}: wraps past 4 GiB`);
    segments.push({ paddr, data: image.subarray(offset, offset + filesz), memsz });
  }
  if (segments.length === 0) throw new ElfError('no loadable segments');
  return { entry, segments };
}

import { describe, expect, it } from 'vitest';
import { parseElfKernel } from './elf-loader.js';
import { LoadError } from './load-error.js';
import { buildElf } from './test-images.js';

function refusal(bytes: Uint8Array): string {
  try {
    parseElfKernel(bytes, 'vmlinux');
  } catch (error) {
    expect(error).toBeInstanceOf(LoadError);
    expect((error as LoadError).file).toBe('vmlinux');
    return (error as Error).message;
  }
  throw new Error('the image was accepted');
}

describe('ELF vmlinux headers (§8.2)', () => {
  it('takes every PT_LOAD segment, its entry and the 2047-byte command line', () => {
    const text = new Uint8Array(0x300).fill(0xcc);
    const kernel = parseElfKernel(
      buildElf({
        entry: 0x100_0010,
        segments: [
          { paddr: 0x100_0000, data: text, memsz: 0x300 },
          { type: 4, paddr: 0, filesz: 0x10 }, // PT_NOTE: not loaded
          { paddr: 0x120_0000, filesz: 0x80, memsz: 0x5000 },
        ],
      }),
      'vmlinux',
    );
    expect(kernel.format).toBe('elf');
    expect(kernel.entry).toBe(0x100_0010);
    expect(kernel.cmdlineSize).toBe(2047);
    expect(kernel.protocolVersion).toBeUndefined();
    expect(kernel.segments.map((s) => [s.gpa, s.data.length, s.memsz])).toEqual([
      [0x100_0000, 0x300, 0x300],
      [0x120_0000, 0x80, 0x5000],
    ]);
    expect(kernel.segments[0].data).toEqual(text);
    expect(kernel.ranges.map((r) => [r.start, r.end, r.kind])).toEqual([
      [0x100_0000, 0x100_0300, 'image'],
      [0x120_0000, 0x120_5000, 'image'],
    ]);
  });

  it('leaves out empty segments', () => {
    const kernel = parseElfKernel(
      buildElf({
        segments: [
          { paddr: 0x10_0000, filesz: 0x10 },
          { paddr: 0xffff_f000, filesz: 0, memsz: 0 },
        ],
      }),
      'k',
    );
    expect(kernel.segments).toHaveLength(1);
    expect(kernel.ranges).toHaveLength(1);
  });

  it('refuses each malformed header field with the value', () => {
    expect(refusal(buildElf({ type: 3 }))).toMatch(/^vmlinux: bad ELF kernel: .*ET_EXEC/);
    expect(refusal(buildElf({ machine: 62 }))).toMatch(/not an i386 ELF/);
    expect(refusal(buildElf({ eiClass: 2 }))).toMatch(/not a 32-bit ELF/);
    expect(refusal(buildElf({ phentsize: 40 }))).toMatch(/Malformed elf header: e_phentsize is 40, not 32/);
    expect(refusal(buildElf({ phentsize: 16 }))).toMatch(/program header entries are too small/);
    expect(refusal(buildElf({ segments: [] }))).toMatch(/no program headers/);
    const many = Array.from({ length: 2049 }, () => ({ type: 4, paddr: 0, filesz: 0 }));
    many[0] = { type: 1, paddr: 0x10_0000, filesz: 0x10 };
    expect(refusal(buildElf({ segments: many }))).toMatch(/e_phnum is 2049, more than 2048/);
    expect(refusal(buildElf({ segments: [{ type: 4, paddr: 0, filesz: 4 }] }))).toMatch(
      /no loadable segments/,
    );
  });

  it('accepts 2048 program headers, the most the spec allows', () => {
    const many = Array.from({ length: 2048 }, () => ({ type: 4, paddr: 0, filesz: 0 }));
    many[5] = { type: 1, paddr: 0x10_0000, filesz: 0x10 };
    expect(parseElfKernel(buildElf({ entry: 0x10_0000, segments: many }), 'k').segments).toHaveLength(1);
  });

  it('refuses segments that lie outside the file, claim more file than memory, or wrap past 4 GiB', () => {
    expect(
      refusal(buildElf({ segments: [{ paddr: 0x10_0000, filesz: 0x100, offset: 0xffff_ff80 }] })),
    ).toMatch(/segment 0: data lies outside the file/);
    expect(refusal(buildElf({ segments: [{ paddr: 0x10_0000, filesz: 0x100, memsz: 0x80 }] }))).toMatch(
      /file size exceeds memory size/,
    );
    expect(
      refusal(
        buildElf({ entry: 0xffff_f000, segments: [{ paddr: 0xffff_f000, filesz: 0x10, memsz: 0x2000 }] }),
      ),
    ).toMatch(/wraps past 4 GiB/);
  });

  it('refuses an entry point outside every loaded segment', () => {
    expect(refusal(buildElf({ entry: 0xc010_0000 }))).toMatch(
      /entry point 0xc0100000 is not inside any PT_LOAD segment/,
    );
  });

  it('refuses truncated files', () => {
    const whole = buildElf();
    expect(refusal(whole.subarray(0, 40))).toMatch(/too short for an ELF header/);
    expect(refusal(whole.subarray(0, 70))).toMatch(/program headers lie outside the file/);
    expect(refusal(whole.subarray(0, whole.length - 1))).toMatch(/segment 0: data lies outside the file/);
  });
});

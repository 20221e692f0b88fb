import { readFileSync } from 'node:fs';
import { GuestMemory } from '@lguest/abi';
import { describe, expect, it } from 'vitest';
import { guestImage } from '../../../tools/guests/images.js';
import { BOOT_AREA_END, checkKernelFits, kernelRamNeeded, loadKernel, parseKernel } from './kernel.js';
import { LoadError } from './load-error.js';
import { buildBzImage, buildElf } from './test-images.js';

const MIB = 1 << 20;

function fitRefusal(bytes: Uint8Array, ramMiB: number): string {
  const kernel = parseKernel(bytes, 'kernel');
  try {
    checkKernelFits(kernel, ramMiB * MIB);
  } catch (error) {
    expect(error).toBeInstanceOf(LoadError);
    return (error as Error).message;
  }
  throw new Error('the kernel fitted');
}

describe('kernel loading (§8.2)', () => {
  it('tells ELF from bzImage by the magic', () => {
    expect(parseKernel(buildElf(), 'a').format).toBe('elf');
    expect(parseKernel(buildBzImage(), 'b').format).toBe('bzImage');
    expect(() => parseKernel(new TextEncoder().encode('#!/bin/sh\necho hi\n'), 'script')).toThrow(
      /^script: not a kernel/,
    );
  });

  it('copies every segment to its gpa and leaves .bss zero', () => {
    const a = new Uint8Array(0x180).fill(0xaa);
    const b = new Uint8Array(0x40).fill(0xbb);
    const kernel = parseKernel(
      buildElf({
        segments: [
          { paddr: 0x10_0000, data: a },
          { paddr: 0x10_3000, data: b, memsz: 0x1000 },
        ],
      }),
      'k',
    );
    checkKernelFits(kernel, 2 * MIB);
    const memory = new GuestMemory(new SharedArrayBuffer(2 * MIB));
    loadKernel(memory, kernel);
    expect(memory.bytes.subarray(0x10_0000, 0x10_0180)).toEqual(a);
    expect(memory.bytes.subarray(0x10_3000, 0x10_3040)).toEqual(b);
    expect(memory.bytes.subarray(0x10_3040, 0x10_4000).every((x) => x === 0)).toBe(true);
    expect(memory.read8(0x10_0180)).toBe(0);
    expect(kernelRamNeeded(kernel)).toBe(0x10_4000);
  });

  it('loads a bzImage protected-mode part at 1 MiB', () => {
    const bytes = buildBzImage({ setupSects: 3, payloadSize: 0x1230 });
    const kernel = parseKernel(bytes, 'bz');
    checkKernelFits(kernel, 32 * MIB);
    const memory = new GuestMemory(new SharedArrayBuffer(32 * MIB));
    loadKernel(memory, kernel);
    expect(memory.bytes.subarray(0x10_0000, 0x10_1230)).toEqual(bytes.subarray(4 * 512));
    expect(memory.read8(0x10_1230)).toBe(0);
  });

  it('refuses load addresses outside RAM, saying how much memory would do', () => {
    expect(
      fitRefusal(buildElf({ segments: [{ paddr: 0x10_0000, filesz: 0x10, memsz: 0x20_0000 }] }), 2),
    ).toMatch(
      /^kernel: 2 MiB of memory is too small for this kernel: its PT_LOAD segment 0 at 0x100000 \[0x100000, 0x300000\) ends beyond RAM \(0x200000\); give at least 3 MiB$/,
    );
    // A vmlinux linked at its virtual address is outside any RAM the Launcher can give.
    expect(fitRefusal(buildElf({ segments: [{ paddr: 0xc010_0000, filesz: 0x10 }] }), 64)).toMatch(
      /\[0xc0100000, 0xc0100010\) ends beyond RAM/,
    );
  });

  it('needs RAM up to pref_address + init_size for a bzImage', () => {
    const bytes = buildBzImage({ prefAddress: 0x100_0000n, initSize: 0x37_6000 });
    expect(fitRefusal(bytes, 16)).toMatch(
      /decompression area .* \[0x1000000, 0x1376000\) ends beyond RAM.*give at least 20 MiB/,
    );
    expect(() => checkKernelFits(parseKernel(bytes, 'k'), 20 * MIB)).not.toThrow();
  });

  it('refuses a kernel over the boot page or the command line', () => {
    expect(fitRefusal(buildElf({ segments: [{ paddr: 0, filesz: 0x10 }] }), 4)).toMatch(
      /PT_LOAD segment 0 at 0x0 \[0x0, 0x10\) overlaps the boot page and command line \[0, 0x1800\)/,
    );
    expect(fitRefusal(buildElf({ segments: [{ paddr: 0x17ff, filesz: 0x10 }] }), 4)).toMatch(
      /overlaps the boot page/,
    );
    const justAbove = parseKernel(buildElf({ segments: [{ paddr: BOOT_AREA_END, filesz: 0x10 }] }), 'k');
    expect(() => checkKernelFits(justAbove, 1 * MIB)).not.toThrow();
  });

  it('loads the real lguest-hello guest image', () => {
    const path = guestImage('lguest-hello');
    const bytes = readFileSync(path);
    const kernel = parseKernel(bytes, path);
    expect(kernel.format).toBe('elf');
    expect(kernel.entry).toBe(0x10_0000);
    expect(kernel.ranges.every((r) => r.start >= 0x10_0000 && r.end <= 0x14_0000)).toBe(true);
    checkKernelFits(kernel, 2 * MIB);
    const memory = new GuestMemory(new SharedArrayBuffer(2 * MIB));
    loadKernel(memory, kernel);
    // The first code bytes at the entry are the file's bytes of the first PT_LOAD (at its p_offset).
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const phoff = view.getUint32(28, true);
    const offset = view.getUint32(phoff + 4, true);
    expect(memory.bytes.subarray(0x10_0000, 0x10_0040)).toEqual(
      new Uint8Array(bytes.subarray(offset, offset + 0x40)),
    );
  });
});

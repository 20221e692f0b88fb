import { GuestMemory } from '@lguest/abi';
import { describe, expect, it } from 'vitest';
import { loadInitrd, placeInitrd } from './initrd.js';
import type { OccupiedRange } from './kernel-image.js';
import { LoadError } from './load-error.js';

const MIB = 1 << 20;
const kernel: OccupiedRange[] = [
  { start: 0x10_0000, end: 0x50_0000, kind: 'image', what: 'protected-mode part at 0x100000' },
  { start: 0x100_0000, end: 0x137_6000, kind: 'decompression', what: 'decompression area' },
];

function refusal(length: number, ramMiB: number, ranges = kernel, cmdline = 20): string {
  try {
    placeInitrd(length, ramMiB * MIB, ranges, cmdline, 'initrd.img');
  } catch (error) {
    expect(error).toBeInstanceOf(LoadError);
    return (error as Error).message;
  }
  throw new Error('the initrd was placed');
}

describe('the initrd (§8.3)', () => {
  it('goes at the top of RAM, its size rounded up to a page', () => {
    expect(placeInitrd(5000, 64 * MIB, kernel, 20, 'rd')).toEqual({
      gpa: 64 * MIB - 8192,
      size: 8192,
      length: 5000,
    });
    expect(placeInitrd(4096, 64 * MIB, kernel, 20, 'rd').gpa).toBe(64 * MIB - 4096);
  });

  it('is copied there byte for byte', () => {
    const memory = new GuestMemory(new SharedArrayBuffer(2 * MIB));
    const bytes = new Uint8Array(5000).map((_, i) => i & 0xff);
    const placement = placeInitrd(bytes.length, 2 * MIB, [], 20, 'rd');
    loadInitrd(memory, bytes, placement);
    expect(memory.bytes.subarray(placement.gpa, placement.gpa + 5000)).toEqual(bytes);
    expect(memory.bytes.subarray(placement.gpa + 5000, 2 * MIB).every((b) => b === 0)).toBe(true);
  });

  it('may end right where the decompression area ends', () => {
    const ram = 0x138_0000;
    expect(placeInitrd(0xa000, ram, kernel, 20, 'rd').gpa).toBe(0x137_6000);
  });

  it('is refused when it would overlap the decompression area or the kernel image', () => {
    expect(refusal(0xa001, 0x138_0000 / MIB)).toMatch(
      /^initrd\.img: the initrd \(40961 bytes\) at the top of RAM \[0x1375000, 0x1380000\) would overlap the kernel's decompression area \[0x1000000, 0x1376000\); give the guest more memory$/,
    );
    expect(refusal(0x10_0000, 5)).toMatch(
      /would overlap the kernel's protected-mode part at 0x100000 \[0x100000, 0x500000\)/,
    );
  });

  it('is refused when it would overlap the boot page or the command line', () => {
    expect(refusal(MIB - 0x1000, 1, [])).toMatch(/would overlap the command line \[0x1000, 0x1014\)/);
    expect(refusal(MIB, 1, [])).toMatch(/would overlap the boot page \[0x0, 0x1000\)/);
  });

  it('is refused when it is larger than RAM, or empty', () => {
    expect(refusal(64 * MIB + 1, 64)).toMatch(
      /the initrd \(67108865 bytes\) is larger than the guest's 64 MiB of RAM/,
    );
    expect(refusal(0, 64)).toMatch(/the initrd is empty/);
  });
});

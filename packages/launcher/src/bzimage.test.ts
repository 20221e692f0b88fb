import { SETUP_HEADER_LAYOUT } from '@lguest/abi';
import { describe, expect, it } from 'vitest';
import { bootProtocolName, parseBzImage } from './bzimage.js';
import { LoadError } from './load-error.js';
import { buildBzImage } from './test-images.js';

const H = SETUP_HEADER_LAYOUT;

function refusal(bytes: Uint8Array): string {
  try {
    parseBzImage(bytes, 'bzImage');
  } catch (error) {
    expect(error).toBeInstanceOf(LoadError);
    return (error as Error).message;
  }
  throw new Error('the image was accepted');
}

/** Fills the header bytes a protocol version does not have yet, to prove they are not read. */
function junkAfter(bytes: Uint8Array, from: number): Uint8Array {
  bytes.fill(0xff, from, H.initSize.offset + H.initSize.size);
  return bytes;
}

describe('bzImage setup header (§8.2)', () => {
  it('loads a 2.13 image (the 3.18 shape): protected-mode part at 1 MiB, decompression area, cmdline_size', () => {
    const bytes = buildBzImage({ version: 0x020d, setupSects: 31, payloadSize: 0x3000, cmdlineSize: 2047 });
    const kernel = parseBzImage(bytes, 'bzImage');
    expect(kernel.format).toBe('bzImage');
    expect(kernel.protocolVersion).toBe(0x020d);
    expect(kernel.entry).toBe(0x10_0000);
    expect(kernel.cmdlineSize).toBe(2047);
    expect(kernel.segments).toHaveLength(1);
    expect(kernel.segments[0].gpa).toBe(0x10_0000);
    // The protected-mode part starts at (31 + 1) * 512 = 0x4000 in the file.
    expect(kernel.segments[0].data).toEqual(bytes.subarray(0x4000));
    expect(kernel.ranges.map((r) => [r.kind, r.start, r.end])).toEqual([
      ['image', 0x10_0000, 0x10_3000],
      ['decompression', 0x100_0000, 0x137_6000],
    ]);
  });

  it('reads setup_sects 0 as 4 sectors, as the boot protocol says', () => {
    const bytes = buildBzImage({ setupSects: 0, payloadSize: 0x1000 });
    expect(bytes[H.setupSects.offset]).toBe(0);
    const kernel = parseBzImage(bytes, 'bzImage');
    expect(kernel.segments[0].data).toEqual(bytes.subarray(5 * 512));
    expect(kernel.segments[0].data.length).toBe(0x1000);
  });

  it('takes a non-zero setup_sects literally', () => {
    const bytes = buildBzImage({ setupSects: 1, payloadSize: 0x800 });
    expect(parseBzImage(bytes, 'k').segments[0].data).toEqual(bytes.subarray(1024));
  });

  it('2.10: pref_address and init_size exist; cmdline_size is read', () => {
    const kernel = parseBzImage(
      buildBzImage({ version: 0x020a, cmdlineSize: 1000, prefAddress: 0x200_0000n, initSize: 0x80_0000 }),
      'k',
    );
    expect(kernel.cmdlineSize).toBe(1000);
    expect(kernel.ranges.at(-1)).toMatchObject({ kind: 'decompression', start: 0x200_0000, end: 0x280_0000 });
  });

  it('2.06: cmdline_size is read, but not pref_address or init_size', () => {
    const bytes = junkAfter(buildBzImage({ version: 0x0206, cmdlineSize: 511 }), H.hardwareSubarch.offset);
    const kernel = parseBzImage(bytes, 'k');
    expect(kernel.cmdlineSize).toBe(511);
    expect(kernel.ranges.map((r) => r.kind)).toEqual(['image']);
  });

  it('2.05: no cmdline_size yet, so 255 characters', () => {
    const bytes = junkAfter(buildBzImage({ version: 0x0205 }), H.xloadflags.offset);
    const kernel = parseBzImage(bytes, 'k');
    expect(kernel.cmdlineSize).toBe(255);
    expect(kernel.ranges.map((r) => r.kind)).toEqual(['image']);
  });

  it('caps cmdline_size at the 2047 characters the guest copies', () => {
    expect(parseBzImage(buildBzImage({ cmdlineSize: 4095 }), 'k').cmdlineSize).toBe(2047);
  });

  it('has no decompression area when init_size is 0', () => {
    expect(parseBzImage(buildBzImage({ initSize: 0 }), 'k').ranges.map((r) => r.kind)).toEqual(['image']);
  });

  it('refuses a file without the HdrS magic, or too short to have one', () => {
    expect(refusal(buildBzImage({ magic: 0x12345678 }))).toMatch(
      /^bzImage: not a kernel: no ELF magic at 0 and no bzImage "HdrS" magic at 0x202/,
    );
    expect(refusal(buildBzImage().subarray(0, 0x204))).toMatch(/not a kernel/);
    expect(refusal(new Uint8Array(0))).toMatch(/not a kernel/);
  });

  it('refuses truncated images', () => {
    const whole = buildBzImage({ setupSects: 31, payloadSize: 0x2000 });
    expect(refusal(whole.subarray(0, 0x2000))).toMatch(
      /truncated bzImage: setup_sects 31 puts the protected-mode part at 0x4000, but the file has only 8192 bytes/,
    );
    expect(refusal(whole.subarray(0, 0x4000))).toMatch(/nothing follows the 31 setup sectors/);
    expect(refusal(whole.subarray(0, 0x5000))).toMatch(
      /syssize says the protected-mode part is 8192 bytes, the file holds 4096/,
    );
  });

  it('ignores syssize before protocol 2.04, when it was only 16 bits', () => {
    expect(parseBzImage(buildBzImage({ version: 0x0203, syssize: 0xffff_ffff }), 'k').segments).toHaveLength(
      1,
    );
  });

  it('refuses a protocol older than 2.00, a zImage, and odd entry or decompression addresses', () => {
    expect(refusal(buildBzImage({ version: 0x0105 }))).toMatch(
      /boot protocol version 1\.05 is older than 2\.00/,
    );
    expect(refusal(buildBzImage({ loadflags: 0 }))).toMatch(/loadflags 0x0 lacks LOADED_HIGH/);
    expect(refusal(buildBzImage({ code32Start: 0x1000 }))).toMatch(
      /code32_start 0x1000 is outside the protected-mode part \[0x100000, 0x102000\)/,
    );
    expect(refusal(buildBzImage({ prefAddress: 0x1_0000_0000n }))).toMatch(
      /pref_address 0x100000000 .* runs past 4 GiB/,
    );
    expect(refusal(buildBzImage({ prefAddress: 0xffff_0000n, initSize: 0x10_0000 }))).toMatch(
      /runs past 4 GiB/,
    );
  });

  it('names protocol versions as the boot protocol does', () => {
    expect(bootProtocolName(0x020d)).toBe('2.13');
    expect(bootProtocolName(0x0206)).toBe('2.06');
  });
});

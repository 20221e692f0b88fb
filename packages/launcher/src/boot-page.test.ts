import { BootParamsView, GuestMemory } from '@lguest/abi';
import { describe, expect, it } from 'vitest';
import { encodeCommandLine, writeBootPage } from './boot-page.js';

const MIB = 1 << 20;

function page(withInitrd: boolean) {
  const memory = new GuestMemory(new SharedArrayBuffer(4 * MIB));
  // Garbage the boot page must not keep.
  memory.bytes.fill(0x5a, 0, 0x2000);
  writeBootPage(memory, {
    ramBytes: 4 * MIB,
    commandLine: encodeCommandLine(['console=hvc0', 'root=/dev/vda'], 2047, 'k'),
    initrd: withInitrd ? { gpa: 0x3f_e000, size: 0x2000, length: 0x1800 } : undefined,
  });
  return memory;
}

/** The bytes §8.1 sets, as [offset, bytes...]. */
function expectedFields(withInitrd: boolean): Map<number, number> {
  const set = new Map<number, number>();
  const put = (offset: number, value: bigint, size: number) => {
    for (let i = 0; i < size; i++) set.set(offset + i, Number((value >> BigInt(8 * i)) & 0xffn));
  };
  put(0x1e8, 1n, 1); // e820_entries
  put(0x2d0, 0n, 8); // e820_map[0].addr
  put(0x2d8, BigInt(4 * MIB), 8); // .size
  put(0x2e0, 1n, 4); // .type RAM
  put(0x206, 0x0207n, 2); // hdr.version
  put(0x211, 0x40n, 1); // loadflags KEEP_SEGMENTS
  put(0x228, 0x1000n, 4); // cmd_line_ptr
  put(0x230, 0x0100_0000n, 4); // kernel_alignment
  put(0x23c, 1n, 4); // hardware_subarch
  if (withInitrd) {
    put(0x210, 0xffn, 1); // type_of_loader
    put(0x218, 0x3f_e000n, 4); // ramdisk_image
    put(0x21c, 0x2000n, 4); // ramdisk_size
  }
  return set;
}

describe('the boot page (§8.1)', () => {
  for (const withInitrd of [false, true]) {
    it(`holds exactly the §8.1 fields and zero elsewhere (${withInitrd ? 'with' : 'without'} an initrd)`, () => {
      const memory = page(withInitrd);
      const fields = expectedFields(withInitrd);
      for (let offset = 0; offset < 4096; offset++) {
        expect([offset, memory.read8(offset)]).toEqual([offset, fields.get(offset) ?? 0]);
      }
      const view = new BootParamsView(memory, 0);
      expect(view.sentinel()).toBe(0);
      expect(view.e820Size(0)).toBe(BigInt(4 * MIB));
      expect(view.typeOfLoader()).toBe(withInitrd ? 0xff : 0);
    });
  }

  it('writes the command line at 0x1000, joined by single spaces and NUL-terminated', () => {
    const memory = page(false);
    const text = 'console=hvc0 root=/dev/vda';
    expect(new TextDecoder().decode(memory.bytes.subarray(0x1000, 0x1000 + text.length))).toBe(text);
    expect(memory.read8(0x1000 + text.length)).toBe(0);
  });

  it('allows an empty command line and one of exactly cmdline_size bytes', () => {
    expect(encodeCommandLine([], 255, 'k')).toEqual(new Uint8Array([0]));
    expect(encodeCommandLine(['a'.repeat(100), 'b'.repeat(154)], 255, 'k').length).toBe(256);
  });

  it('refuses a command line longer than cmdline_size, counting UTF-8 bytes', () => {
    expect(() => encodeCommandLine(['a'.repeat(200), 'b'.repeat(55)], 255, 'bzImage')).toThrow(
      /^bzImage: the kernel command line is 256 bytes; this kernel takes at most 255 \(cmdline_size\)$/,
    );
    expect(() => encodeCommandLine(['é'.repeat(128)], 255, 'k')).toThrow(/is 256 bytes/);
  });

  it('refuses a NUL inside the command line', () => {
    expect(() => encodeCommandLine(['a\0b'], 255, 'k')).toThrow(/contains a NUL/);
  });
});

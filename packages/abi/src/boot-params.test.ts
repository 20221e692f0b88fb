import { describe, expect, it, vi } from 'vitest';
import * as b from './boot-params.js';
import * as k from './kernel-image.js';
import { GuestMemory } from './memory.js';

describe('§8.1 the boot page', () => {
  it('is 4096 bytes at gpa 0, command line at 0x1000 (2048 bytes copied)', () => {
    expect(b.BOOT_PARAMS_SIZE).toBe(4096);
    expect(b.BOOT_PARAMS_GPA).toBe(0);
    expect(b.COMMAND_LINE_GPA).toBe(0x1000);
    expect(b.COMMAND_LINE_COPY_SIZE).toBe(2048);
    expect(b.SETUP_HEADER_OFFSET).toBe(0x1f1);
  });

  it('places the fields outside the header as the spec says', () => {
    expect(b.BOOT_PARAMS_LAYOUT).toEqual({
      screenInfo: { offset: 0x00, size: 0x40 },
      scratch: { offset: 0x1e4, size: 4 },
      e820Entries: { offset: 0x1e8, size: 1 },
      sentinel: { offset: 0x1ef, size: 1 },
      e820Map: { offset: 0x2d0, size: 20 },
    });
  });

  it('pins the values the Launcher writes', () => {
    expect(b.LGUEST_BOOT_PROTOCOL_VERSION).toBe(0x0207);
    expect(b.LGUEST_TYPE_OF_LOADER).toBe(0xff);
    expect(b.KEEP_SEGMENTS).toBe(0x40);
    expect(b.LOADED_HIGH).toBe(0x01);
    expect(b.LGUEST_KERNEL_ALIGNMENT).toBe(0x01000000);
    expect(b.E820_RAM).toBe(1);
  });

  it('lays out e820 entries as u64 addr, u64 size, u32 type (20 bytes), 128 of them up to 0xCD0', () => {
    expect(b.E820_ENTRY_SIZE).toBe(20);
    expect(b.E820_ENTRY_LAYOUT).toEqual({
      addr: { offset: 0, size: 8 },
      size: { offset: 8, size: 8 },
      type: { offset: 16, size: 4 },
    });
    expect(b.E820_MAX_ENTRIES).toBe(128);
    expect(0x2d0 + b.E820_MAX_ENTRIES * b.E820_ENTRY_SIZE).toBe(0xcd0);
  });
});

describe('§8.2 setup header', () => {
  it('matches the offset table', () => {
    expect(b.SETUP_HEADER_LAYOUT).toEqual({
      setupSects: { offset: 0x1f1, size: 1 },
      syssize: { offset: 0x1f4, size: 4 },
      bootFlag: { offset: 0x1fe, size: 2 },
      header: { offset: 0x202, size: 4 },
      version: { offset: 0x206, size: 2 },
      typeOfLoader: { offset: 0x210, size: 1 },
      loadflags: { offset: 0x211, size: 1 },
      code32Start: { offset: 0x214, size: 4 },
      ramdiskImage: { offset: 0x218, size: 4 },
      ramdiskSize: { offset: 0x21c, size: 4 },
      cmdLinePtr: { offset: 0x228, size: 4 },
      initrdAddrMax: { offset: 0x22c, size: 4 },
      kernelAlignment: { offset: 0x230, size: 4 },
      relocatableKernel: { offset: 0x234, size: 1 },
      xloadflags: { offset: 0x236, size: 2 },
      cmdlineSize: { offset: 0x238, size: 4 },
      hardwareSubarch: { offset: 0x23c, size: 4 },
      payloadOffset: { offset: 0x248, size: 4 },
      payloadLength: { offset: 0x24c, size: 4 },
      setupData: { offset: 0x250, size: 8 },
      prefAddress: { offset: 0x258, size: 8 },
      initSize: { offset: 0x260, size: 4 },
    });
  });

  it('fields do not overlap', () => {
    const fields = Object.values(b.SETUP_HEADER_LAYOUT).sort((x, y) => x.offset - y.offset);
    for (let i = 1; i < fields.length; i++) {
      expect(fields[i].offset).toBeGreaterThanOrEqual(fields[i - 1].offset + fields[i - 1].size);
    }
  });

  it('knows the protocol version of each late field', () => {
    expect(b.SETUP_HEADER_FIELD_VERSIONS).toEqual({
      kernelAlignment: 0x205,
      relocatableKernel: 0x205,
      cmdlineSize: 0x206,
      hardwareSubarch: 0x207,
      payloadOffset: 0x208,
      payloadLength: 0x208,
      setupData: 0x209,
      prefAddress: 0x20a,
      initSize: 0x20a,
      xloadflags: 0x20c,
    });
  });

  it('"HdrS" and 0xAA55 are the magic numbers', () => {
    const bytes = new TextEncoder().encode('HdrS');
    expect(new DataView(bytes.buffer).getUint32(0, true)).toBe(b.SETUP_HEADER_MAGIC);
    expect(b.BOOT_FLAG_MAGIC).toBe(0xaa55);
  });

  it('kernel-file checks match the spec', () => {
    expect(k.ELF_MAGIC).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(k.ET_EXEC).toBe(2);
    expect(k.EM_386).toBe(3);
    expect(k.ELF32_PHDR_SIZE).toBe(32);
    expect(k.ELF_MAX_PHNUM).toBe(2048);
    expect(k.PT_LOAD).toBe(1);
    expect(k.BZIMAGE_SECTOR_SIZE).toBe(512);
    expect(k.BZIMAGE_LOAD_ADDRESS).toBe(0x100000);
  });
});

describe('BootParamsView', () => {
  it('writes the §8.1 boot page at the spec offsets', () => {
    const mem = new GuestMemory(new ArrayBuffer(2 * 4096));
    const view = new b.BootParamsView(mem, b.BOOT_PARAMS_GPA);
    const ram = 64n << 20n;
    expect(view.setE820Entries(1)).toBe(true);
    expect(view.setE820(0, 0n, ram, b.E820_RAM)).toBe(true);
    expect(view.setVersion(b.LGUEST_BOOT_PROTOCOL_VERSION)).toBe(true);
    expect(view.setTypeOfLoader(b.LGUEST_TYPE_OF_LOADER)).toBe(true);
    expect(view.setLoadflags(view.loadflags() | b.KEEP_SEGMENTS)).toBe(true);
    expect(view.setRamdiskImage(0x03ff_0000)).toBe(true);
    expect(view.setRamdiskSize(0x10000)).toBe(true);
    expect(view.setCmdLinePtr(b.COMMAND_LINE_GPA)).toBe(true);
    expect(view.setKernelAlignment(b.LGUEST_KERNEL_ALIGNMENT)).toBe(true);
    expect(view.setHardwareSubarch(1)).toBe(true);

    expect(mem.read8(0x1e8)).toBe(1);
    expect(mem.read64(0x2d0)).toBe(0n);
    expect(mem.read64(0x2d8)).toBe(ram);
    expect(mem.read32(0x2e0)).toBe(1);
    expect(mem.read16(0x206)).toBe(0x0207);
    expect(mem.read8(0x210)).toBe(0xff);
    expect(mem.read8(0x211)).toBe(0x40);
    expect(mem.read32(0x218)).toBe(0x03ff_0000);
    expect(mem.read32(0x21c)).toBe(0x10000);
    expect(mem.read32(0x228)).toBe(0x1000);
    expect(mem.read32(0x230)).toBe(0x0100_0000);
    expect(mem.read32(0x23c)).toBe(1);
    expect(mem.read8(0x1ef)).toBe(0);
    expect(view.sentinel()).toBe(0);

    expect(view.e820Entries()).toBe(1);
    expect([view.e820Addr(0), view.e820Size(0), view.e820Type(0)]).toEqual([0n, ram, 1]);
    expect(view.version()).toBe(0x0207);
    expect(view.typeOfLoader()).toBe(0xff);
    expect(view.ramdiskImage()).toBe(0x03ff_0000);
    expect(view.ramdiskSize()).toBe(0x10000);
    expect(view.cmdLinePtr()).toBe(0x1000);
    expect(view.kernelAlignment()).toBe(0x0100_0000);
    expect(view.hardwareSubarch()).toBe(1);
  });

  it('places later e820 entries 20 bytes apart and rejects indices past 127', () => {
    const mem = new GuestMemory(new ArrayBuffer(4096));
    const view = new b.BootParamsView(mem, 0);
    view.setE820(127, 0x1000n, 0x2000n, 2);
    expect(mem.read64(0x2d0 + 127 * 20 + 8)).toBe(0x2000n);
    expect(view.e820Type(127)).toBe(2);
    expect(() => view.e820Addr(128)).toThrow(RangeError);
    expect(() => view.setE820(-1, 0n, 0n, 1)).toThrow(RangeError);
  });

  it('reads any header field generically, by layout entry', () => {
    const mem = new GuestMemory(new ArrayBuffer(4096));
    const view = new b.BootParamsView(mem, 0);
    expect(view.writeField(b.SETUP_HEADER_LAYOUT.code32Start, 0x100000)).toBe(true);
    expect(view.writeField(b.SETUP_HEADER_LAYOUT.bootFlag, 0xaa55)).toBe(true);
    expect(view.writeField(b.SETUP_HEADER_LAYOUT.setupSects, 31)).toBe(true);
    expect(mem.read32(0x214)).toBe(0x100000);
    expect(mem.read16(0x1fe)).toBe(0xaa55);
    expect(view.readField(b.SETUP_HEADER_LAYOUT.setupSects)).toBe(31);
    expect(view.readField(b.SETUP_HEADER_LAYOUT.bootFlag)).toBe(0xaa55);
    expect(() => view.readField(b.SETUP_HEADER_LAYOUT.prefAddress)).toThrow(RangeError);
    expect(() => view.writeField(b.SETUP_HEADER_LAYOUT.setupData, 0)).toThrow(RangeError);
  });

  it('drops writes beyond guest memory and reports them', () => {
    const onFault = vi.fn();
    const mem = new GuestMemory(new ArrayBuffer(4096), { onFault });
    const view = new b.BootParamsView(mem, 0x0f00); // the header lands past 4096
    expect(view.fits()).toBe(false);
    expect(view.setVersion(0x207)).toBe(false);
    expect(onFault).toHaveBeenCalledWith(0x0f00 + 0x206, 2);
    expect(view.version()).toBe(0);
  });
});

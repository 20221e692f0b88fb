import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BootParamsView,
  DeviceDescView,
  PAGE_SIZE,
  VIRTIO_ID_BLOCK,
  VIRTIO_ID_CONSOLE,
  VIRTIO_ID_RNG,
} from '@lguest/abi';
import { BlockDevice, type VirtioDevice } from '@lguest/devices';
import { afterAll, describe, expect, it } from 'vitest';
import { guestImage } from '../../../tools/guests/images.js';
import { LoadError } from './load-error.js';
import { type LaunchOptions, parseCommandLine } from './options.js';
import { type PrepareIo, prepareGuest } from './prepare.js';
import { buildBzImage, buildElf } from './test-images.js';

const MIB = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), 'lguest-prepare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function options(argv: string[]): LaunchOptions {
  const parsed = parseCommandLine(argv);
  if (parsed.kind !== 'launch') throw new Error(`not a launch: ${JSON.stringify(parsed)}`);
  return parsed.options;
}

function files(map: Record<string, Uint8Array>): PrepareIo['readFile'] {
  return (path) => {
    const bytes = map[path];
    if (bytes === undefined) throw Object.assign(new Error(`ENOENT: open '${path}'`), { code: 'ENOENT' });
    return bytes;
  };
}

function disk(name: string, bytes = 4096): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.alloc(bytes));
  return path;
}

function refusal(argv: string[], io: PrepareIo): string {
  try {
    prepareGuest(options(argv), io).bus.close();
  } catch (error) {
    expect(error).toBeInstanceOf(LoadError);
    return (error as Error).message;
  }
  throw new Error('the guest was prepared');
}

const quiet = { console: { output: () => {} } };

describe('prepareGuest (§8, §10.1)', () => {
  it('loads kernel, initrd and boot page, and places devices in option order with the console last', () => {
    const a = disk('a.img');
    const b = disk('b.img');
    const kernelBytes = buildElf({ segments: [{ paddr: 0x10_0000, filesz: 0x800, memsz: 0x1000 }] });
    const initrdBytes = new Uint8Array(10_000).fill(7);
    const trace: string[] = [];
    const guest = prepareGuest(
      options([
        `--block=${a}`,
        '--rng',
        `--block=${b}`,
        '--initrd=rd',
        '16',
        'vmlinux',
        'console=hvc0',
        'quiet',
      ]),
      { ...quiet, readFile: files({ vmlinux: kernelBytes, rd: initrdBytes }), trace: (l) => trace.push(l) },
    );
    try {
      const { memory, layout } = guest;
      expect(layout.ramBytes).toBe(16 * MIB);
      expect(guest.buffer.byteLength).toBe(16 * MIB + 256 * PAGE_SIZE);
      expect(memory.bytes.subarray(0x10_0000, 0x10_0800)).toEqual(
        kernelBytes.subarray(kernelBytes.length - 0x800),
      );

      // The initrd at the top of RAM, described in the boot page.
      expect(guest.initrd).toEqual({ gpa: 16 * MIB - 12_288, size: 12_288, length: 10_000 });
      expect(memory.bytes.subarray(16 * MIB - 12_288, 16 * MIB - 2288)).toEqual(initrdBytes);
      const boot = new BootParamsView(memory, 0);
      expect([boot.ramdiskImage(), boot.ramdiskSize(), boot.typeOfLoader()]).toEqual([
        16 * MIB - 12_288,
        12_288,
        0xff,
      ]);
      expect(boot.e820Size(0)).toBe(BigInt(16 * MIB));
      expect(guest.commandLine).toBe('console=hvc0 quiet');

      // The device page: block a, rng, block b, console, back to back from the page above RAM.
      expect(guest.devices.map((d) => d.type)).toEqual([
        VIRTIO_ID_BLOCK,
        VIRTIO_ID_RNG,
        VIRTIO_ID_BLOCK,
        VIRTIO_ID_CONSOLE,
      ]);
      expect(guest.devices.at(-1)).toBe(guest.console);
      let at = 16 * MIB;
      const irqs: number[] = [];
      for (const device of guest.devices) {
        const desc = new DeviceDescView(memory, at);
        expect(desc.type()).toBe(device.type);
        for (let q = 0; q < desc.numVq(); q++) irqs.push(desc.vqIrq(q));
        at += desc.size;
      }
      expect(memory.read8(at)).toBe(0);
      expect(irqs).toEqual([1, 2, 3, 4, 5]);
      // Five 256-entry vrings of 3 pages each above the device page: guest_limit and pfn_limit follow.
      expect(guest.guestLimit).toBe(16 * MIB + PAGE_SIZE + 5 * 3 * PAGE_SIZE);
      expect(guest.pfnLimit).toBe(guest.guestLimit / PAGE_SIZE);
      expect(memory.pfnLimit).toBe(guest.pfnLimit);
      expect(guest.initializeWords).toEqual([0, guest.pfnLimit, 0x10_0000]);

      expect(trace.join('\n')).toMatch(/kernel: vmlinux \(ELF\), entry 0x100000/);
      expect(trace.join('\n')).toMatch(/initrd: rd \(10000 bytes\) at \[0xffd000, 0x1000000\)/);
      expect(trace.filter((l) => l.startsWith('device: ')).map((l) => l.split(' (')[0])).toEqual([
        'device: block a.img',
        'device: rng',
        'device: block b.img',
        'device: console',
      ]);
    } finally {
      guest.bus.close();
    }
  });

  it('prepares the real lguest-hello image from disk with the default file reader', () => {
    const guest = prepareGuest(options(['2', guestImage('lguest-hello')]), quiet);
    try {
      expect(guest.entry).toBe(0x10_0000);
      expect(guest.devices.map((d) => d.type)).toEqual([VIRTIO_ID_CONSOLE]);
      expect(guest.initializeWords).toEqual([0, (2 * MIB + 4096 + 2 * 3 * 4096) / 4096, 0x10_0000]);
      expect(guest.initrd).toBeUndefined();
      expect(new BootParamsView(guest.memory, 0).typeOfLoader()).toBe(0);
    } finally {
      guest.bus.close();
    }
  });

  it('prepares a bzImage and keeps its decompression area in RAM', () => {
    const readFile = files({ bz: buildBzImage() });
    expect(refusal(['19', 'bz'], { ...quiet, readFile })).toMatch(/give at least 20 MiB/);
    const guest = prepareGuest(options(['20', 'bz']), { ...quiet, readFile });
    expect(guest.kernel.format).toBe('bzImage');
    expect(guest.initializeWords[2]).toBe(0x10_0000);
    guest.bus.close();
  });

  it('names a file it cannot read', () => {
    expect(refusal(['16', 'nope'], { ...quiet, readFile: files({}) })).toBe(
      'nope: cannot read the kernel: no such file or directory',
    );
    const readFile = files({ k: buildElf() });
    expect(refusal(['--initrd=rd', '16', 'k'], { ...quiet, readFile })).toBe(
      'rd: cannot read the initrd: no such file or directory',
    );
    expect(refusal([`--block=${join(dir, 'missing.img')}`, '16', 'k'], { ...quiet, readFile })).toMatch(
      /missing\.img: cannot open the block device file: no such file or directory$/,
    );
  });

  it('closes the devices it opened when a later one fails', () => {
    const opened: VirtioDevice[] = [];
    const closed: VirtioDevice[] = [];
    const openBlock = (path: string): VirtioDevice => {
      const device = BlockDevice.open(path);
      const close = device.close.bind(device);
      device.close = () => {
        closed.push(device);
        close();
      };
      opened.push(device);
      return device;
    };
    const good = disk('good.img');
    expect(
      refusal([`--block=${good}`, `--block=${join(dir, 'gone.img')}`, '16', 'k'], {
        ...quiet,
        readFile: files({ k: buildElf() }),
        openBlock,
      }),
    ).toMatch(/gone\.img: cannot open/);
    expect(opened).toHaveLength(1);
    expect(closed).toEqual(opened);
  });

  it('refuses more devices than the IRQ lines or the device pages hold', () => {
    const readFile = files({ k: buildElf() });
    const rngs = Array.from({ length: 30 }, () => '--rng');
    expect(refusal([...rngs, '16', 'k'], { ...quiet, readFile })).toMatch(
      /cannot add console: Not enough IRQ lines/,
    );
  });

  it('refuses a command line too long for the kernel', () => {
    const readFile = files({ bz: buildBzImage({ version: 0x0205 }) });
    expect(refusal(['20', 'bz', 'x'.repeat(256)], { ...quiet, readFile })).toMatch(
      /^bz: the kernel command line is 256 bytes; this kernel takes at most 255/,
    );
  });

  it('refuses an initrd that does not fit beside the kernel', () => {
    const readFile = files({ bz: buildBzImage(), rd: new Uint8Array(2 * MIB) });
    expect(refusal(['--initrd=rd', '20', 'bz'], { ...quiet, readFile })).toMatch(
      /^rd: the initrd .* would overlap the kernel's decompression area/,
    );
    const guest = prepareGuest(options(['--initrd=rd', '22', 'bz']), { ...quiet, readFile });
    guest.bus.close();
    expect(guest.initrd?.gpa).toBe(20 * MIB);
  });

  it('refuses an initrd larger than RAM from its size, before reading it', () => {
    const reads: string[] = [];
    const readFile = (path: string) => {
      reads.push(path);
      return buildElf();
    };
    const fileSize = (path: string) => (path === 'huge.rd' ? 3 * 2 ** 30 : 0);
    expect(refusal(['--initrd=huge.rd', '16', 'k'], { ...quiet, readFile, fileSize })).toBe(
      "huge.rd: the initrd (3221225472 bytes) is larger than the guest's 16 MiB of RAM",
    );
    expect(reads).toEqual(['k']);
  });

  it('refuses memory sizes out of range before reading anything', () => {
    const readFile = () => {
      throw new Error('read');
    };
    expect(refusal(['4092', 'k'], { ...quiet, readFile })).toMatch(/too large.*at most 4091 MiB/);
  });
});

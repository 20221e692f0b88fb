import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ElfError } from './elf.js';
import { runMultiboot } from './runner.js';
import { main, parseArgs } from './runner-cli.js';

const guests = fileURLToPath(new URL('../../../tools/guests/', import.meta.url));

/** A minimal multiboot ELF: one PT_LOAD at `paddr` holding a multiboot header then `code`. */
function tinyElf(code: number[], paddr = 0x10_0000, memsz?: number): Uint8Array {
  const header = [0x02, 0xb0, 0xad, 0x1b, 0x03, 0, 0, 0, ...le32(-(0x1badb002 + 3) >>> 0)];
  const body = [...header, ...code];
  const phoff = 52;
  const dataOff = 84;
  const bytes = new Uint8Array(dataOff + body.length);
  const v = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 3, true); // EM_386
  v.setUint32(20, 1, true);
  v.setUint32(24, paddr + header.length, true); // entry: the code after the header
  v.setUint32(28, phoff, true);
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, 1, true);
  v.setUint32(phoff, 1, true); // PT_LOAD
  v.setUint32(phoff + 4, dataOff, true);
  v.setUint32(phoff + 8, paddr, true);
  v.setUint32(phoff + 12, paddr, true);
  v.setUint32(phoff + 16, body.length, true);
  v.setUint32(phoff + 20, memsz ?? body.length, true);
  v.setUint32(phoff + 24, 5, true);
  bytes.set(body, dataOff);
  return bytes;
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

function run(image: Uint8Array, options: { memMiB?: number; maxInstructions?: number } = {}) {
  const chunks: Uint8Array[] = [];
  const result = runMultiboot(image, { ...options, stdout: (b) => chunks.push(b.slice()) });
  return { ...result, output: Buffer.concat(chunks).toString('latin1') };
}

describe('runMultiboot', () => {
  it('enters with the multiboot magic and info, copies COM1 and exits through port 0xF4', () => {
    // cmp eax,0x2badb002; jne bad; mov ecx,[ebx+8] (mem_upper); mov dx,0x3f8; mov al,'K'; out dx,al;
    // mov al,cl; out 0xf4,al — exit value = low byte of mem_upper
    const code = [
      0x3d,
      ...le32(0x2badb002),
      0x75,
      0x0d,
      0x8b,
      0x4b,
      0x08,
      0x66,
      0xba,
      0xf8,
      0x03,
      0xb0,
      0x4b,
      0xee,
      0x88,
      0xc8,
      0xe6,
      0xf4,
      0xf4,
    ];
    const r = run(tinyElf(code), { memMiB: 2 });
    expect(r.output).toBe('K');
    expect(r.status).toBe(((1024 & 0xff) << 1) | 1); // mem_upper = 1024 KiB: low byte 0
    expect(r.message).toMatch(/debug-exit/);
  });

  it('ends with 0 on HLT, 2 on a triple fault, 3 at the instruction limit', () => {
    expect(run(tinyElf([0xf4])).status).toBe(0);
    // lidt with a zero limit, then int3: no gate for anything -> triple fault
    const noIdt = [0x6a, 0, 0x6a, 0, 0x0f, 0x01, 0x1c, 0x24, 0xcc];
    expect(run(tinyElf(noIdt))).toMatchObject({ status: 2, message: expect.stringMatching(/triple fault/) });
    expect(run(tinyElf([0xeb, 0xfe]), { maxInstructions: 1000 })).toMatchObject({
      status: 3,
      instructions: 1000,
    });
  });

  it('reads the line-status register as transmitter empty', () => {
    // mov dx,0x3fd; in al,dx; out 0xf4,al
    expect(run(tinyElf([0x66, 0xba, 0xfd, 0x03, 0xec, 0xe6, 0xf4])).status).toBe((0x60 << 1) | 1);
  });

  it('rejects bad images', () => {
    expect(() => run(new Uint8Array(100))).toThrow(ElfError);
    const noHeader = tinyElf([0xf4]);
    noHeader.fill(0, 84, 96);
    expect(() => run(noHeader)).toThrow(/multiboot header/);
    expect(() => run(tinyElf([0xf4], 0x10_0000, 8 << 20), { memMiB: 4 })).toThrow(/does not fit/);
    const badSegment = tinyElf([0xf4]);
    new DataView(badSegment.buffer).setUint32(52 + 16, 0xffff_fff0, true);
    expect(() => run(badSegment)).toThrow(ElfError);
  });

  // The images are committed (tools/guests), so a missing one is a failure, not a reason to skip.
  for (const name of ['hello', 'selftest', 'bench']) {
    const image = `${guests}images/multiboot-${name}.elf`;
    it(`runs tools/guests multiboot-${name} to its expected output`, () => {
      expect(existsSync(image), `${image} is committed`).toBe(true);
      const r = run(readFileSync(image));
      expect(r.output).toBe(readFileSync(`${guests}programs/multiboot/${name}.expected`, 'latin1'));
      expect(r.status).toBe(33);
    });
  }
});

describe('lguest-x86 command line', () => {
  it('parses options and rejects bad ones', () => {
    expect(parseArgs(['--mem', '16', '--max-instructions', '5', '--stats', 'k.elf'])).toEqual({
      kernel: 'k.elf',
      memMiB: 16,
      maxInstructions: 5,
      stats: true,
    });
    expect(parseArgs([])).toMatch(/no kernel/);
    expect(parseArgs(['--mem'])).toMatch(/--mem/);
    expect(parseArgs(['--mem', '0', 'k'])).toMatch(/between/);
    expect(parseArgs(['--bogus', 'k'])).toMatch(/unknown option/);
    expect(parseArgs(['a', 'b'])).toMatch(/only one/);
  });

  it('exits with 1 and usage for a bad command line or a missing file', () => {
    const writes: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => {
      writes.push(String(s));
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(main(['--nope'])).toBe(1);
      expect(main(['/nonexistent/kernel.elf'])).toBe(1);
    } finally {
      process.stderr.write = original;
    }
    expect(writes.join('')).toMatch(/usage: lguest-x86/);
    expect(writes.join('')).toMatch(/cannot read/);
  });
});

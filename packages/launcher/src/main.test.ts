import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { guestImage } from '../../../tools/guests/images.js';
import { type LauncherIo, main } from './main.js';
import { buildBzImage, buildElf } from './test-images.js';
import { VERSION } from './version.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }, out, err };
}

async function run(argv: string[], extra: Partial<LauncherIo> = {}) {
  const c = capture();
  const status = await main(argv, { ...c.io, ...extra });
  return { status, out: c.out.join(''), err: c.err.join('') };
}

const dir = mkdtempSync(join(tmpdir(), 'lguest-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
const hello = guestImage('lguest-hello');

describe('lguest main', () => {
  it('prints usage for --help and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^Usage: lguest/);
  });

  it('reports the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    const r = await run(['--version']);
    expect(r.status).toBe(0);
    expect(r.out).toBe(`lguest ${pkg.version}\n`);
  });

  it('prints usage on a bad command line and exits 1', async () => {
    for (const argv of [
      ['--nope'],
      ['-x', '64', hello],
      ['64'],
      ['--tunnet=10.0.0.1', '64', hello],
      ['--initrd=', '8', hello],
    ]) {
      const r = await run(argv);
      expect(r.status).toBe(1);
      expect(r.err).toMatch(/^lguest: .*\nUsage: lguest/);
    }
    expect((await run(['--nope'])).err).toMatch(/unrecognized option '--nope'/);
  });

  it('refuses bad memory sizes with usage, and sizes out of range with the limit', async () => {
    for (const size of ['0', '64M', '-5', '1.5']) {
      const r = await run([size, hello]);
      expect(r.status).toBe(1);
      expect(r.err).toMatch(/Usage: lguest/);
    }
    expect((await run(['99999999999999999999', hello])).err).toMatch(/MiB is too large/);
    const big = await run(['5000', hello]);
    expect(big.status).toBe(1);
    expect(big.err).toBe(
      'lguest: memory size 5000 MiB is too large: RAM and the 256 device pages above it must end below 0xffc00000, so at most 4091 MiB\n',
    );
    const small = await run(['1', hello]);
    expect(small.status).toBe(1);
    expect(small.err).toMatch(
      /^lguest: .*lguest-hello\.elf: 1 MiB of memory is too small for this kernel: .*give at least 2 MiB\n$/,
    );
  });

  it('names missing and unusable files and exits 1', async () => {
    const missing = join(dir, 'no-such-vmlinux');
    expect(await run(['8', missing])).toEqual({
      status: 1,
      out: '',
      err: `lguest: ${missing}: cannot read the kernel: no such file or directory\n`,
    });
    expect((await run(['8', dir])).err).toBe(`lguest: ${dir}: cannot read the kernel: is a directory\n`);
    expect((await run([`--initrd=${missing}`, '8', hello])).err).toMatch(
      /no-such-vmlinux: cannot read the initrd/,
    );
    expect((await run([`--block=${missing}`, '8', hello])).err).toMatch(
      /no-such-vmlinux: cannot open the block device file: no such file or directory/,
    );
    const junk = file('junk', new TextEncoder().encode('not a kernel at all'));
    const r = await run(['8', junk]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/junk: not a kernel: no ELF magic/);
  });

  it('refuses bad kernels: malformed ELF, truncated bzImage, load address outside RAM', async () => {
    expect((await run(['8', file('bad-type.elf', buildElf({ type: 1 }))])).err).toMatch(/bad ELF kernel/);
    expect((await run(['8', file('phent.elf', buildElf({ phentsize: 40 }))])).err).toMatch(
      /Malformed elf header: e_phentsize is 40/,
    );
    const truncated = buildBzImage().subarray(0, 0x3000);
    expect((await run(['32', file('short.bz', truncated)])).err).toMatch(/truncated bzImage/);
    const high = buildElf({ segments: [{ paddr: 0x900_0000, filesz: 16 }] });
    const r = await run(['8', file('high.elf', high)]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(
      /8 MiB of memory is too small for this kernel: its PT_LOAD segment 0 .* give at least 145 MiB/,
    );
  });

  it('refuses an initrd too large for the memory and a command line too long for the kernel', async () => {
    const rd = file('big.rd', new Uint8Array(3 << 20));
    expect((await run([`--initrd=${rd}`, '2', hello])).err).toMatch(
      /big\.rd: the initrd \(3145728 bytes\) is larger than/,
    );
    expect((await run(['2', hello, 'x'.repeat(2048)])).err).toMatch(
      /command line is 2048 bytes; this kernel takes at most 2047/,
    );
  });

  it('accepts every option, boots the guest, drops privileges after INITIALIZE, and exits 0 on power-off', async () => {
    const disk = file('disk.img', new Uint8Array(8192));
    const rd = file('initrd.img', new Uint8Array(5000));
    const users: string[] = [];
    const r = await run(
      ['--verbose', `--block=${disk}`, '--rng', `--init=${rd}`, '--user=nobody', '4', hello, 'console=hvc0'],
      { dropPrivileges: (user) => users.push(user) },
    );
    expect(r.status).toBe(0);
    expect(users).toEqual(['nobody']);
    expect(r.out).toBe('Hello from an lguest guest!\n');
    expect(r.err).toMatch(/lguest: now running as nobody \(uid \d+/);
    expect(r.err).toMatch(/lguest: notify 0x[0-9a-f]+: early-console\n/);
    expect(r.err).toMatch(/lguest: the guest powered off\n$/);
    expect(r.err).toMatch(/lguest: memory: 4 MiB of RAM \[0, 0x400000\), device page at 0x400000/);
    expect(r.err).toMatch(/lguest: kernel: .*lguest-hello\.elf \(ELF\), entry 0x100000/);
    expect(r.err).toMatch(/lguest: initrd: .*initrd\.img \(5000 bytes\) at \[0x3fe000, 0x400000\)/);
    expect(r.err).toMatch(/command line at 0x1000 \(12 bytes\): "console=hvc0"/);
    const devices = r.err.split('\n').filter((l) => l.startsWith('lguest: device: '));
    expect(devices.map((l) => l.split(' (')[0])).toEqual([
      'lguest: device: block disk.img',
      'lguest: device: rng',
      'lguest: device: console',
    ]);
    // Four 3-page vrings above the device page: 4 MiB + 13 pages.
    expect(r.err).toMatch(
      /console \(type 3\) descriptor at 0x40002e; rx vring at 0x407000 irq 3, tx vring at 0x40a000 irq 4/,
    );
    expect(r.err).toMatch(/guest_limit 0x40d000, pfn_limit 1037; INITIALIZE\(0, 1037, 0x100000\)/);
  });

  it('stays quiet without --verbose; -vv adds one line per hypercall and trap', async () => {
    const r = await run(['-vv', '2', hello]);
    expect(r.status).toBe(0);
    expect(r.err).toMatch(/lguest: device: console/);
    expect(r.err).toMatch(/^lguest: hypercall \d+\(0x[0-9a-f]+, 0x[0-9a-f]+, 0x[0-9a-f]+, 0x[0-9a-f]+\)$/m);
    expect(r.err).toMatch(/^lguest: kill: CRASH: Power down$/m);
    const quiet = await run(['2', hello]);
    expect(quiet.status).toBe(0);
    expect(quiet.out).toBe('Hello from an lguest guest!\n');
    expect(quiet.err).toBe('');
  });

  it('refuses --username when no way to drop privileges was given', async () => {
    const r = await run(['--username=nobody', '2', hello]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/lguest: dropping privileges is only possible from the lguest bin/);
  });
});

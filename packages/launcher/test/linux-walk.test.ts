/**
 * End to end through the real `lguest` bin: the linux-walk guest (tools/guests/linux-walk), a bzImage
 * that walks the Launcher and the Host through a Linux 3.18 boot in the order of spec §14/§14.8 —
 * decompressor, startup_32, lguest_entry, lguest_init, the native CR4 read, setup_arch, trap_init and
 * cpu_init, the write-protect test, the console replay, the clock and delay calibration, code
 * patching, FDIV and lazy-FPU #NM, context switches through the async ring and the idle loop, the
 * lguest bus scan, the virtio console and block drivers, and user space (demand faults, system calls,
 * TLS, CPUID/RDTSC, FPU across a switch, port I/O → SIGSEGV) — and powers off from a system call.
 * Each step prints a line, so a failure shows how far the boot got.
 *
 * Timestamps: every line starts with a printk-style `[    s.uuuuuu] `. Before the line that reports
 * the armed clock it is exactly `[    0.000000]`; from there on it counts timer ticks (HZ 100), which
 * depends on host speed, so the test checks those as non-decreasing multiples of 10 ms and compares
 * the rest of each line with linux-walk.expected.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runBin } from './bin.js';

const guests = new URL('../../../tools/guests/', import.meta.url);
const bzImage = fileURLToPath(new URL('images/lguest-linux-walk.bzImage', guests));
const expectedText = readFileSync(new URL('linux-walk/linux-walk.expected', guests), 'utf8');

const dir = mkdtempSync(join(tmpdir(), 'lguest-linux-walk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 1 MiB disk whose sector 0 holds an MBR partition table: one Linux partition from sector 2048. */
function writeDisk(path: string): void {
  const disk = new Uint8Array(1 << 20);
  const view = new DataView(disk.buffer);
  const entry = 0x1be;
  disk[entry] = 0x80; // bootable
  disk[entry + 4] = 0x83; // Linux
  view.setUint32(entry + 8, 1, true); // first sector
  view.setUint32(entry + 12, 2047, true); // sectors
  disk[510] = 0x55;
  disk[511] = 0xaa;
  writeFileSync(path, disk);
}

const STAMP = /^\[ {0,4}(\d+)\.(\d{6})\] /;

describe('linux-walk: a bzImage that boots the way Linux 3.18 does', () => {
  it('boots through every step and powers off: exit 0, the expected console text, in seconds', async () => {
    const disk = join(dir, 'disk.img');
    writeDisk(disk);
    const started = Date.now();
    const r = await runBin([`--block=${disk}`, '64', bzImage, 'console=hvc0'], { timeoutMs: 60_000 });
    const elapsed = Date.now() - started;
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The early console turns every "\n" into "\r\n", as hvc does; no bare "\n" reaches the Launcher.
    expect(r.stdout).not.toMatch(/[^\r]\n/);
    const lines = r.stdout.replace(/\r\n/g, '\n').split('\n');
    expect(lines.pop()).toBe('');

    let clockArmed = false;
    let last = 0;
    const normalised: string[] = [];
    for (const line of lines) {
      const m = STAMP.exec(line);
      expect(m, line).not.toBeNull();
      const us = Number(m?.[1]) * 1_000_000 + Number(m?.[2]);
      // The line that reports the armed clock may already see the first tick.
      if (line.includes('clockevent armed')) clockArmed = true;
      if (!clockArmed) expect(us, line).toBe(0);
      expect(us % 10_000, line).toBe(0);
      expect(us, line).toBeGreaterThanOrEqual(last);
      last = us;
      normalised.push(line.replace(STAMP, '[TIME] '));
    }
    expect(clockArmed).toBe(true);
    const want = expectedText.split('\n').map((line) => line.replace(STAMP, '[TIME] '));
    expect(`${normalised.join('\n')}\n`).toBe(want.join('\n'));
    // calibrate_delay waits for 20 ticks of 10 ms: the guest clock must have advanced that far.
    expect(last).toBeGreaterThanOrEqual(200_000);
    expect(elapsed).toBeLessThan(20_000);
  });

  it('-v: the device notifications come in 3.18 order, and the early console stops once virtio binds', async () => {
    const disk = join(dir, 'disk-v.img');
    writeDisk(disk);
    const r = await runBin(['-v', `--block=${disk}`, '64', bzImage, 'console=hvc0'], { timeoutMs: 60_000 });
    expect(r.status).toBe(0);
    const notifies = r.stderr
      .split('\n')
      .filter((line) => line.startsWith('lguest: notify '))
      .map((line) => line.replace(/^lguest: notify 0x[0-9a-f]+: early-console$/, 'early'));
    const devices = notifies.filter((n) => n !== 'early');
    // Bus scan: block then console reset (status 0 + NOTIFY); console: status 3 + NOTIFY, four receive
    // buffers kicked, its first transmit; block: status 3 + NOTIFY, a transmit, the partition-table read.
    expect(devices.slice(0, 11)).toEqual([
      'lguest: notify 0x4000000: status',
      'lguest: notify 0x4000021: status',
      'lguest: notify 0x4000021: status',
      'lguest: notify 0x4004000: kick',
      'lguest: notify 0x4004000: kick',
      'lguest: notify 0x4004000: kick',
      'lguest: notify 0x4004000: kick',
      'lguest: notify 0x4007000: kick',
      'lguest: notify 0x4000000: status',
      'lguest: notify 0x4007000: kick',
      'lguest: notify 0x4001000: kick',
    ]);
    expect(devices.slice(11).every((n) => n === 'lguest: notify 0x4007000: kick')).toBe(true);
    const firstTransmit = notifies.indexOf('lguest: notify 0x4007000: kick');
    expect(notifies.indexOf('early')).toBe(0);
    expect(notifies.lastIndexOf('early')).toBeLessThan(firstTransmit);
    expect(r.stderr).toMatch(
      /^lguest: kernel: .*lguest-linux-walk\.bzImage \(bzImage, boot protocol 2\.13\), entry 0x100000$/m,
    );
    expect(r.stderr).toMatch(
      /^lguest: {3}decompression area \(pref_address \+ init_size\): \[0x1000000, 0x1100000\)$/m,
    );
    expect(r.stderr).toMatch(/^lguest: the guest powered off$/m);
  });
});

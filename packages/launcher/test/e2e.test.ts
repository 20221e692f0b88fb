/**
 * End to end through the real `lguest` bin: the project's virtio guests (tools/guests
 * `programs/lguest/virtio-*`) boot on the Host in its vCPU worker, find their devices on the device
 * page and drive them; the test checks their console output, the block file they wrote, how the
 * Launcher ends (status and reason) for power-off, restart, kills and malformed vrings, and its
 * `-v`/`-vv` traces.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expected, image, runBin } from './bin.js';

const dir = mkdtempSync(join(tmpdir(), 'lguest-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('virtio guests through the lguest bin', () => {
  it('virtio-hello prints on the virtio console and powers off: exit 0, nothing on stderr', async () => {
    const r = await runBin(['32', image('virtio-hello')]);
    expect(r.stdout).toBe(expected('virtio-hello'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('virtio-echo echoes piped input line by line and powers off on "quit"', async () => {
    const r = await runBin(['32', image('virtio-echo')], { input: 'hello\nworld\nquit\n' });
    expect(r.stdout).toBe(expected('virtio-echo'));
    expect(r.status).toBe(0);
  });

  it('EOF on stdin stops console input cleanly; the guest keeps running until killed', async () => {
    const r = await runBin(['-v', '32', image('virtio-echo')], {
      input: 'abc',
      killWhen: /console input ended[\s\S]*abc|abc[\s\S]*console input ended/,
    });
    expect(r.stdout).toContain('> abc');
    expect(r.stderr).toMatch(/lguest: console input ended\n/);
    expect(r.stderr).toMatch(/lguest: killed by SIGTERM\n$/);
    expect(r.status).toBe(1);
  });

  it('virtio-block reads, writes and flushes its disk; the file holds what the guest wrote', async () => {
    const disk = join(dir, 'virtio-block.img');
    const bytes = new Uint8Array(65536);
    for (let s = 0; s < 128; s++) for (let i = 0; i < 512; i++) bytes[s * 512 + i] = (s + i) & 0xff;
    writeFileSync(disk, bytes);
    const r = await runBin([`--block=${disk}`, '32', image('virtio-block')]);
    expect(r.stdout).toBe(expected('virtio-block'));
    expect(r.status).toBe(0);
    const after = new Uint8Array(readFileSync(disk));
    expect(after.length).toBe(65536);
    for (let s = 0; s < 128; s++) {
      const row = after.subarray(s * 512, s * 512 + 512);
      const want = (i: number) => (s >= 1 && s <= 4 ? (0x80 + 16 * s + 3 * i) & 0xff : (s + i) & 0xff);
      expect(row.every((b, i) => b === want(i))).toBe(true);
    }
  });

  it('virtio-rng reads the entropy device', async () => {
    const r = await runBin(['--rng', '32', image('virtio-rng')]);
    expect(r.stdout).toBe(expected('virtio-rng'));
    expect(r.status).toBe(0);
  });

  it.each([
    ['virtio-bad-loop', 'console tx: looped descriptor chain from head 0: more than 256 descriptors'],
    ['virtio-bad-addr', 'console tx: descriptor 0: buffer 0xf0000000+0x10 is outside guest memory'],
    ['virtio-bad-index', 'console tx: head descriptor 256 at avail slot 2 is not below 256'],
  ])('%s sends a malformed vring: the guest dies with the reason, the launcher exits 1', async (name, reason) => {
    const r = await runBin(['32', image(name)]);
    expect(r.stdout).toBe(expected(name));
    expect(r.stderr).toBe(`lguest: ${reason}\n`);
    expect(r.status).toBe(1);
  });

  it('a guest panic (SHUTDOWN with another message) prints the reason and exits 1', async () => {
    const r = await runBin(['32', image('hostile-shutdown-end')]);
    expect(r.stderr).toMatch(/^lguest: CRASH: /m);
    expect(r.stderr).not.toMatch(/CRASH: Power down/);
    expect(r.status).toBe(1);
  });

  it('a restart request re-boots the guest in the same process', async () => {
    const r = await runBin(['-v', '32', image('shutdown-restart')], {
      killWhen: /(booting it again[\s\S]*){3}/,
    });
    const line = 'shutdown-restart: SHUTDOWN(reason, 2)\n';
    expect(r.stdout.split(line).length - 1).toBeGreaterThanOrEqual(3);
    expect(r.stderr).toMatch(/lguest: the guest asked for a restart: booting it again\n/);
    // The kernel was loaded once (the loading trace is printed for the first boot only): no re-exec.
    expect(r.stderr.match(/lguest: kernel: /g)).toHaveLength(1);
    expect(r.stderr).toMatch(/lguest: killed by SIGTERM\n$/);
    expect(r.status).toBe(1);
  });

  it('a kill while the guest is halted exits 1 with the reason', async () => {
    const r = await runBin(['32', image('virtio-echo')], { killWhen: /> $/, signal: 'SIGINT' });
    expect(r.stderr).toBe('lguest: killed by SIGINT\n');
    expect(r.status).toBe(1);
  });

  it('-v traces loading, devices and notifications; -vv adds every hypercall, trap and interrupt', async () => {
    const v = await runBin(['-v', '--rng', '32', image('virtio-rng')]);
    expect(v.status).toBe(0);
    expect(v.stderr).toMatch(/^lguest: kernel: .*lguest-virtio-rng\.elf \(ELF\), entry 0x/m);
    expect(v.stderr).toMatch(
      /^lguest: device: rng \(type 4\) descriptor at 0x2000000; queue vring at 0x2001000 irq 1$/m,
    );
    expect(v.stderr).toMatch(/^lguest: notify 0x2000000: status$/m);
    expect(v.stderr).toMatch(/^lguest: notify 0x2001000: kick$/m);
    expect(v.stderr).not.toMatch(/hypercall/);
    const vv = await runBin(['-vv', '--rng', '32', image('virtio-rng')]);
    expect(vv.status).toBe(0);
    expect(vv.stderr).toMatch(
      /^lguest: hypercall \d+\(0x[0-9a-f]+, 0x[0-9a-f]+, 0x[0-9a-f]+, 0x[0-9a-f]+\)/m,
    );
    expect(vv.stderr).toMatch(/^lguest: interrupt: irq 1 through vector 0x21 at eip 0x[0-9a-f]+$/m);
    expect(vv.stderr).toMatch(/^lguest: kill: CRASH: Power down$/m);
    expect(vv.stdout).toBe(expected('virtio-rng'));
  });
});

describe('the lguest bin refuses what it cannot run', () => {
  it('unknown options and bad memory sizes: usage and exit 1', async () => {
    for (const args of [['--frobnicate', '32', image('virtio-hello')], ['lots', image('virtio-hello')], []]) {
      const r = await runBin(args);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/Usage: lguest/);
    }
  });

  it('missing and malformed kernels: a clear error and exit 1', async () => {
    const missing = await runBin(['32', join(dir, 'nope.elf')]);
    expect(missing.stderr).toMatch(/nope\.elf: cannot read the kernel: no such file or directory/);
    expect(missing.status).toBe(1);
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, new Uint8Array(100));
    const bad = await runBin(['32', junk]);
    expect(bad.stderr).toMatch(/^lguest: .*junk\.bin: /);
    expect(bad.status).toBe(1);
  });

  it('--username drops privileges after set-up (as root, to nobody); an unknown user exits 1', async () => {
    const unknown = await runBin(['--username=no-such-user-here', '32', image('virtio-hello')]);
    expect(unknown.stderr).toMatch(/lguest: cannot become no-such-user-here: no such user/);
    expect(unknown.status).toBe(1);
    const passwd = readFileSync('/etc/passwd', 'utf8');
    if (process.getuid?.() !== 0 || !/^nobody:/m.test(passwd)) return;
    const nobody =
      passwd
        .split('\n')
        .find((l) => l.startsWith('nobody:'))
        ?.split(':') ?? [];
    const r = await runBin(['-v', '--username=nobody', '32', image('virtio-hello')]);
    expect(r.stderr).toMatch(
      new RegExp(`lguest: now running as nobody \\(uid ${nobody[2]}, gid ${nobody[3]}, groups [0-9,]*\\)`),
    );
    expect(r.stderr).not.toMatch(/groups [0-9,]*\b0\b/);
    expect(r.stdout).toBe(expected('virtio-hello'));
    expect(r.status).toBe(0);
  });
});

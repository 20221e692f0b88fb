/**
 * Benchmark: the Launcher end to end, through the real `lguest` bin (`dist/cli.js`).
 *
 * Boots `tools/guests` `virtio-blk-bench` with a 32 MiB disk. The guest reads the whole disk
 * sequentially (64 KiB requests of sixteen 4 KiB segments, one in flight) between two console lines,
 * `bench blk start <bytes>` and `bench blk end <bytes> <checksum>`, then prints 256 KiB of console
 * output between `bench con start` and `bench con end`. We time each phase from the moments its lines
 * arrive on the bin's stdout, check the guest's checksum against the file, and compare the guest's
 * MB/s with this process reading the same file in 64 KiB chunks (the page cache is warm for both).
 *
 * One JSON object per line on stdout; a human summary on stderr.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { guestImage } from '../../../tools/guests/images.js';

const DISK_BYTES = 32 << 20;
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function emit(
  name: string,
  metric: string,
  value: number,
  unit: string,
  extra: Record<string, number> = {},
): void {
  const line = { bench: `launcher/${name}`, metric, value: Number(value.toFixed(3)), unit, ...extra };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** The host's sequential read of `path` in 64 KiB chunks: MB/s and the guest's checksum rule. */
function hostRead(path: string): { mbps: number; checksum: number } {
  const fd = openSync(path, 'r');
  const chunk = new Uint8Array(64 << 10);
  const words = new Uint32Array(chunk.buffer);
  let best = 0;
  let checksum = 0;
  for (let round = 0; round < 3; round++) {
    let sum = 0;
    let offset = 0;
    const t0 = performance.now();
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, offset);
      if (n === 0) break;
      for (let i = 0; i < n >> 2; i++) sum = (sum + words[i]) >>> 0;
      offset += n;
    }
    const seconds = (performance.now() - t0) / 1000;
    best = Math.max(best, offset / 1e6 / seconds);
    checksum = sum;
  }
  closeSync(fd);
  return { mbps: best, checksum };
}

interface GuestRun {
  marks: Map<string, number>;
  lines: string[];
  status: number | null;
}

function runGuest(disk: string): Promise<GuestRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CLI, `--block=${disk}`, '32', guestImage('lguest-virtio-blk-bench')],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const marks = new Map<string, number>();
    const lines: string[] = [];
    let partial = '';
    child.stdout.on('data', (data: Buffer) => {
      const now = performance.now();
      partial += data.toString('latin1');
      let nl = partial.indexOf('\n');
      while (nl >= 0) {
        const line = partial.slice(0, nl).replace(/\r$/, '');
        partial = partial.slice(nl + 1);
        const m = /^bench (blk|con) (start|end)\b/.exec(line);
        if (m !== null) {
          marks.set(`${m[1]} ${m[2]}`, now);
          lines.push(line);
        }
        nl = partial.indexOf('\n');
      }
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ marks, lines, status }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'lguest-bench-'));
try {
  const disk = join(dir, 'disk.img');
  const bytes = new Uint8Array(DISK_BYTES);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  writeFileSync(disk, bytes);
  const host = hostRead(disk);

  let bestBlk = 0;
  let bestCon = 0;
  for (let round = 0; round < 2; round++) {
    const run = await runGuest(disk);
    const end = run.lines.find((l) => l.startsWith('bench blk end'))?.split(' ');
    if (run.status !== 0 || end === undefined) throw new Error(`the guest failed (status ${run.status})`);
    if (Number(end[4]) !== host.checksum)
      throw new Error(`checksum ${end[4]} is not the file's ${host.checksum}`);
    const blkMs = (run.marks.get('blk end') ?? 0) - (run.marks.get('blk start') ?? 0);
    const conMs = (run.marks.get('con end') ?? 0) - (run.marks.get('con start') ?? 0);
    bestBlk = Math.max(bestBlk, DISK_BYTES / 1e6 / (blkMs / 1000));
    bestCon = Math.max(bestCon, 262144 / 1e6 / (conMs / 1000));
  }
  emit('block-sequential-read', 'guest MB/s', bestBlk, 'MB/s', {
    baseline: Number(host.mbps.toFixed(3)),
    ratio: Number((bestBlk / host.mbps).toFixed(5)),
  });
  emit('console-output', 'guest MB/s', bestCon, 'MB/s');
  process.stderr.write(
    `block: the guest read its 32 MiB disk at ${bestBlk.toFixed(1)} MB/s; the host reads the file at ${host.mbps.toFixed(0)} MB/s (ratio ${(bestBlk / host.mbps).toFixed(4)})\n` +
      `console: 256 KiB of output at ${bestCon.toFixed(2)} MB/s\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Test support: runs the real `lguest` bin (`dist/cli.js`, built before the tests) in a child process
 * with piped stdio, and the project's guest images and their expected console output.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { guestImage } from '../../../tools/guests/images.js';

/** The built bin. */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** What a run of the bin produced. */
export interface BinRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link runBin}. */
export interface BinOptions {
  /** Written to stdin, then stdin is closed (default: closed at once). */
  input?: string;
  /** Kill with `signal` after this many ms, or once `killWhen` matches stderr+stdout. */
  killAfterMs?: number;
  killWhen?: RegExp;
  signal?: NodeJS.Signals;
  /** Give up (SIGKILL and fail) after this many ms (default 30 s). */
  timeoutMs?: number;
}

/** Runs `lguest <args>`; resolves when it exits. */
export function runBin(args: readonly string[], options: BinOptions = {}): Promise<BinRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      child.kill(options.signal ?? 'SIGTERM');
    };
    const check = () => {
      if (options.killWhen?.test(stdout + stderr)) kill();
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      check();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      check();
    });
    const timers: NodeJS.Timeout[] = [];
    if (options.killAfterMs !== undefined) timers.push(setTimeout(kill, options.killAfterMs));
    timers.push(
      setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`lguest ${args.join(' ')} did not exit in time:\n${stdout}\n${stderr}`));
      }, options.timeoutMs ?? 30_000),
    );
    child.on('error', reject);
    child.on('close', (status, signal) => {
      for (const t of timers) clearTimeout(t);
      resolve({ status, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    if (options.input !== undefined) child.stdin.write(options.input);
    if (options.killWhen === undefined && options.killAfterMs === undefined) child.stdin.end();
    else if (options.input !== undefined) child.stdin.end();
  });
}

/** The path of image `lguest-<name>`. */
export function image(name: string): string {
  return guestImage(`lguest-${name}`);
}

/** The expected console output of program `name` (tools/guests/programs/lguest/<name>.expected). */
export function expected(name: string): string {
  return readFileSync(
    fileURLToPath(new URL(`../../../tools/guests/programs/lguest/${name}.expected`, import.meta.url)),
    'utf8',
  );
}

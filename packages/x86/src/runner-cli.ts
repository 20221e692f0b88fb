#!/usr/bin/env node
/**
 * `lguest-x86`: the command-line face of the standalone runner (`runner.ts`).
 *
 *   lguest-x86 [--mem <MiB>] [--max-instructions N] [--stats] <kernel.elf>
 *
 * COM1 output goes to stdout; one line on stderr says how the run ended; the exit status is the
 * runner's (debug-exit `(v << 1) | 1`, 0 on HLT, 2 on triple fault, 3 at the instruction limit), and 1
 * for a bad command line or an image that cannot be loaded.
 */
import { readFileSync } from 'node:fs';
import { runMultiboot } from './runner.js';

const USAGE = 'usage: lguest-x86 [--mem <MiB>] [--max-instructions N] [--stats] <kernel.elf>';

/** Parsed command line. */
export interface CliOptions {
  kernel: string;
  memMiB: number;
  maxInstructions: number | undefined;
  stats: boolean;
}

/** Parses `args`; returns an error message for a bad command line. */
export function parseArgs(args: readonly string[]): CliOptions | string {
  let kernel: string | undefined;
  let memMiB = 32;
  let maxInstructions: number | undefined;
  let stats = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--stats') stats = true;
    else if (a === '--mem' || a === '--max-instructions') {
      const v = args[++i];
      if (v === undefined || !/^\d+$/.test(v)) return `${a} needs a positive integer`;
      const n = Number(v);
      if (a === '--mem') {
        if (n < 1 || n > 3072) return '--mem must be between 1 and 3072 MiB';
        memMiB = n;
      } else maxInstructions = n;
    } else if (a.startsWith('-')) return `unknown option ${a}`;
    else if (kernel === undefined) kernel = a;
    else return 'only one kernel image may be given';
  }
  if (kernel === undefined) return 'no kernel image given';
  return { kernel, memMiB, maxInstructions, stats };
}

/** Runs the command line; returns the process exit status. */
export function main(args: readonly string[]): number {
  const opts = parseArgs(args);
  if (typeof opts === 'string') {
    process.stderr.write(`lguest-x86: ${opts}\n${USAGE}\n`);
    return 1;
  }
  let image: Uint8Array;
  try {
    image = readFileSync(opts.kernel);
  } catch (e) {
    process.stderr.write(`lguest-x86: cannot read ${opts.kernel}: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const result = runMultiboot(image, {
      memMiB: opts.memMiB,
      maxInstructions: opts.maxInstructions,
      stdout: (bytes) => process.stdout.write(bytes),
    });
    process.stderr.write(`lguest-x86: ${result.message}\n`);
    if (opts.stats) {
      const mips = result.seconds > 0 ? result.instructions / result.seconds / 1e6 : 0;
      process.stderr.write(
        `lguest-x86: ${result.instructions} instructions in ${result.seconds.toFixed(3)} s (${mips.toFixed(1)} MIPS)\n`,
      );
    }
    return result.status;
  } catch (e) {
    process.stderr.write(`lguest-x86: ${opts.kernel}: ${(e as Error).message}\n`);
    return 1;
  }
}

// Run only as the bin, not when imported by tests.
if (process.argv[1] !== undefined && /runner-cli\.[cm]?[jt]s$/.test(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}

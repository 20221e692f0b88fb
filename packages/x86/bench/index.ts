/**
 * The CPU benchmark (`pnpm bench`): boots the benchmark kernel `tools/guests/images/multiboot-bench.elf`
 * (four phases — register ALU loop, read-modify-write walk over 12 MiB with paging on, call/ret with
 * push/pop, the walk again with a CR3 reload every 256 iterations) on this package's CPU and, in the
 * same process, on the npm `v86` package with its JIT off (the baseline) and on. Each CPU's
 * instructions per phase come from its own counter and its time from the COM1 phase markers.
 *
 * stdout: one JSON line per phase for lguest-x86 (`baseline` = v86's interpreter, `ratio` = ours / it),
 * then one per phase for v86's interpreter and JIT, then the lines of `smc.ts`, `exit.ts` and
 * `ring-switch.ts`.
 * stderr: a table. `BENCH_RUNS=n` runs all three n times, alternating, and reports each one's best
 * time per phase (a shared machine is noisy).
 */
import { readFileSync } from 'node:fs';
import { guestImage } from '../../../tools/guests/images.js';
import { runOnLguest } from './lguest.js';
import { PHASES, type Phase, type PhaseResult } from './phases.js';
import { runOnV86 } from './v86.js';

const image = new Uint8Array(readFileSync(guestImage('multiboot-bench')));
const runs = Math.max(1, Number.parseInt(process.env.BENCH_RUNS ?? '1', 10) || 1);

function mips(r: PhaseResult): number {
  return r.instructions / r.seconds / 1e6;
}

function round(v: number): number {
  return Number(v.toFixed(2));
}

/** Per phase, the run with the highest MIPS. */
function best(all: PhaseResult[][]): Map<Phase, PhaseResult> {
  const out = new Map<Phase, PhaseResult>();
  for (const results of all) {
    for (const r of results) {
      const prev = out.get(r.phase);
      if (prev === undefined || mips(r) > mips(prev)) out.set(r.phase, r);
    }
  }
  return out;
}

const ours: PhaseResult[][] = [];
const interp: PhaseResult[][] = [];
const jit: PhaseResult[][] = [];
for (let i = 0; i < runs; i++) {
  ours.push(runOnLguest(image));
  interp.push(await runOnV86(image, false));
  jit.push(await runOnV86(image, true));
  if (runs > 1) {
    const show = (results: PhaseResult[]): string =>
      results.map((r) => `${r.phase} ${mips(r).toFixed(1)}`).join(', ');
    process.stderr.write(
      `run ${i + 1}: lguest-x86 ${show(ours[i])}; v86 interpreter ${show(interp[i])}; v86 JIT ${show(jit[i])}\n`,
    );
  }
}
const lguest = best(ours);
const v86Interp = best(interp);
const v86Jit = best(jit);

for (const phase of PHASES) {
  const a = lguest.get(phase) as PhaseResult;
  const b = v86Interp.get(phase) as PhaseResult;
  if (a.line !== b.line) {
    process.stderr.write(
      `warning: phase ${phase} printed "${a.line}" on lguest-x86 but "${b.line}" on v86\n`,
    );
  }
}

const lines: string[] = [];
for (const phase of PHASES) {
  const a = lguest.get(phase) as PhaseResult;
  const base = v86Interp.get(phase) as PhaseResult;
  lines.push(
    JSON.stringify({
      bench: `x86/${phase}`,
      metric: 'mips',
      value: round(mips(a)),
      unit: 'MIPS',
      baseline: round(mips(base)),
      ratio: round(mips(a) / mips(base)),
    }),
  );
}
for (const [name, results] of [
  ['v86-interpreter', v86Interp],
  ['v86-jit', v86Jit],
] as const) {
  for (const phase of PHASES) {
    const r = results.get(phase) as PhaseResult;
    lines.push(
      JSON.stringify({ bench: `x86/${name}/${phase}`, metric: 'mips', value: round(mips(r)), unit: 'MIPS' }),
    );
  }
}
process.stdout.write(`${lines.join('\n')}\n`);

const table = [
  'phase     instructions  lguest-x86   v86 interp   v86 JIT   ours/interp  ours/JIT',
  ...PHASES.map((phase) => {
    const a = lguest.get(phase) as PhaseResult;
    const b = v86Interp.get(phase) as PhaseResult;
    const c = v86Jit.get(phase) as PhaseResult;
    return [
      phase.padEnd(8),
      String(a.instructions).padStart(13),
      `${mips(a).toFixed(1)} MIPS`.padStart(12),
      `${mips(b).toFixed(1)} MIPS`.padStart(12),
      `${mips(c).toFixed(1)} MIPS`.padStart(10),
      (mips(a) / mips(b)).toFixed(2).padStart(12),
      (mips(a) / mips(c)).toFixed(2).padStart(9),
    ].join(' ');
  }),
  "(instructions and MIPS from each CPU's own counter; time between COM1 phase markers)",
];
process.stderr.write(`${table.join('\n')}\n`);

// The self-modifying-code loops (`x86/smc/*`), the exit round trip (`x86/exit`) and the direct-trap
// ring switch (`x86/ring-switch*`), on this package's CPU only.
await import('./smc.js');
await import('./exit.js');
await import('./ring-switch.js');

/**
 * Phase clock for the benchmark kernel (`tools/guests/programs/multiboot/bench.c`): fed the bytes the
 * kernel writes to COM1, it notes the wall time and the instruction counter at the end of every line
 * that opens a phase (`bench: start`) or ends one (`phase <name> end, ...`). Both CPUs under test (ours
 * in `lguest.ts`, v86 in `v86.ts`) drive one from their serial-port hook, so a phase is timed from the
 * previous marker to its own, at the instruction that wrote the line's last byte.
 */

/** The four phases, in the order the kernel runs them. */
export const PHASES = ['alu', 'rmw', 'callret', 'cr3'] as const;
export type Phase = (typeof PHASES)[number];

/** One measured phase. */
export interface PhaseResult {
  phase: Phase;
  instructions: number;
  seconds: number;
  /** The marker line, whose value lets the two CPUs' runs be compared. */
  line: string;
}

const START_LINE = 'bench: start';
const PHASE_LINE = /^phase (\w+) end/;

export class PhaseClock {
  readonly results: PhaseResult[] = [];
  /** Every COM1 line, for the error message when the kernel does something unexpected. */
  readonly lines: string[] = [];
  #line: number[] = [];
  #lastTime = -1;
  #lastCount = 0;

  /**
   * Takes one COM1 byte. `count` is read only at a line end, so the caller passes a function that
   * reads its counter then rather than a number on every byte.
   */
  byte(value: number, count: () => number): void {
    if (value !== 0x0a) {
      this.#line.push(value & 0xff);
      return;
    }
    const now = performance.now();
    const instructions = count();
    const line = String.fromCharCode(...this.#line);
    this.#line.length = 0;
    this.lines.push(line);
    if (line === START_LINE) {
      this.#lastTime = now;
      this.#lastCount = instructions;
      return;
    }
    const match = PHASE_LINE.exec(line);
    if (match === null || this.#lastTime < 0) return;
    const phase = match[1] as Phase;
    if (!PHASES.includes(phase)) return;
    this.results.push({
      phase,
      instructions: instructions - this.#lastCount,
      seconds: (now - this.#lastTime) / 1000,
      line,
    });
    this.#lastTime = now;
    this.#lastCount = instructions;
  }

  /** Throws unless every phase was seen once, in order. */
  check(who: string): PhaseResult[] {
    const seen = this.results.map((r) => r.phase).join(',');
    if (seen !== PHASES.join(',')) {
      throw new Error(`${who}: phases seen [${seen}], COM1 output:\n${this.lines.join('\n')}`);
    }
    return this.results;
  }
}

/**
 * Differential conformance of the integer instruction set: replays, on `@lguest/x86`, the cases that
 * tools/x86-conformance recorded on a real processor (see its README for how they are made).
 *
 * Each case is one instruction (or a short sequence) with its inputs: the eight general registers,
 * EFLAGS and a few bytes of a data region laid over a fixed background. The test puts the code at the
 * harness's code address, runs the CPU one `step()` at a time until EIP reaches the end of the case's
 * bytes or the CPU exits with a vector, and compares the general registers, the flags the SDM defines
 * for that case and the whole data region with what the processor did; after each form it checks
 * that nothing outside the data region was written. Cases run in batches: one `it` per form,
 * reporting the first few mismatches with the instruction bytes, the inputs and both results.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { GuestMemory } from '@lguest/abi';
import { type Cpu, type CpuExit, createFlatCpu } from '@lguest/x86';
import { describe, expect, it } from 'vitest';

const VECTORS = new URL('../../../tools/x86-conformance/vectors/', import.meta.url);
/** Vector format version this test reads (tools/x86-conformance/gen.py `VERSION`). */
const FORMAT_VERSION = 2;
/** Guest RAM for the replay; the harness's code pages and data region lie inside it. */
const RAM_BYTES = 8 << 20;
/** Bytes after the instruction: HLT, so a CPU that runs past the end stops with a visible mismatch. */
const FILLER = 16;
/** The two code pages: cases are written anywhere in them, so the stray-write check skips them whole. */
const CODE_PAGES_BYTES = 0x2000;
/** Steps per case before giving up: a REP string instruction may take one step per iteration (at most 299). */
const MAX_STEPS = 4096;
/** EFLAGS bits every case starts with besides its own: bit 1 and IF, as in the native run at CPL 3. */
const FLAGS_FIXED = 0x202;
const MISMATCHES_SHOWN = 4;
const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];

interface FormEntry {
  id: number;
  group: string;
  name: string;
  encoding: string;
  cases: number;
  defined: string;
  notes: string;
}
interface VectorIndex {
  version: number;
  codeBase: number;
  dataBase: number;
  dataSize: number;
  background: string;
  files: { group: string; file: string }[];
  forms: FormEntry[];
}

/** One recorded case, decoded. */
interface VectorCase {
  /** Where the code starts, from the code base (cases near 0x1000 straddle the two code pages). */
  codeOffset: number;
  code: Uint8Array;
  regsIn: Uint32Array;
  flagsIn: number;
  patches: { offset: number; bytes: Uint8Array }[];
  /** 0xff when the instruction completed, else the vector the processor raised. */
  status: number;
  flagsMask: number;
  undefinedRegs: number;
  faultEip: number;
  regsOut: Uint32Array;
  flagsOut: number;
  diffs: { offset: number; bytes: Uint8Array }[];
}

/** A byte cursor over a decompressed vector file (little-endian, as gen.py writes it). */
class Reader {
  pos = 0;
  readonly #view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(): number {
    return this.bytes[this.pos++];
  }
  u16(): number {
    const v = this.#view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.#view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  take(n: number): Uint8Array {
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  runs(count: number): { offset: number; bytes: Uint8Array }[] {
    const out = [];
    for (let i = 0; i < count; i++) {
      const offset = this.u16();
      out.push({ offset, bytes: this.take(this.u8()) });
    }
    return out;
  }
}

function readCase(r: Reader): VectorCase {
  const length = r.u8();
  const codeOffset = r.u16();
  const code = r.take(length);
  const regsIn = new Uint32Array(8);
  for (let i = 0; i < 8; i++) regsIn[i] = r.u32();
  const flagsIn = r.u16();
  const patches = r.runs(r.u8());
  const status = r.u8();
  const flagsMask = r.u16();
  const undefinedRegs = r.u8();
  const faultEip = status === 0xff ? 0 : r.u32();
  const changed = r.u8();
  const regsOut = regsIn.slice();
  for (let i = 0; i < 8; i++) if (changed & (1 << i)) regsOut[i] = r.u32();
  const flagsOut = r.u16();
  const diffs = r.runs(r.u16());
  return {
    codeOffset,
    code,
    regsIn,
    flagsIn,
    patches,
    status,
    flagsMask,
    undefinedRegs,
    faultEip,
    regsOut,
    flagsOut,
    diffs,
  };
}

const index = JSON.parse(
  gunzipSync(readFileSync(new URL('index.json.gz', VECTORS))).toString('utf8'),
) as VectorIndex;
const background = gunzipSync(readFileSync(new URL(index.background, VECTORS)));

/** Every form's encoded cases, by form id, read from the group files. */
function loadForms(): Map<number, { count: number; bytes: Uint8Array }> {
  const forms = new Map<number, { count: number; bytes: Uint8Array }>();
  for (const { file } of index.files) {
    const r = new Reader(gunzipSync(readFileSync(new URL(file, VECTORS))));
    const magic = String.fromCharCode(...r.take(4));
    if (magic !== 'LGXV' || r.u32() !== FORMAT_VERSION) {
      throw new Error(`${file} is not a version ${FORMAT_VERSION} vector file`);
    }
    const formCount = r.u16();
    for (let f = 0; f < formCount; f++) {
      const id = r.u16();
      const count = r.u32();
      const start = r.pos;
      for (let c = 0; c < count; c++) readCase(r);
      forms.set(id, { count, bytes: r.bytes.subarray(start, r.pos) });
    }
  }
  return forms;
}

const formBytes = loadForms();

const hex = (v: number, digits = 8): string => (v >>> 0).toString(16).padStart(digits, '0');
const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const regList = (regs: ArrayLike<number>): string =>
  REG_NAMES.map((n, i) => `${n}=${hex(regs[i])}`).join(' ');

/** The replay machine: one CPU over one guest memory, reused by every case. */
class Replay {
  readonly memory = new GuestMemory(new ArrayBuffer(RAM_BYTES));
  readonly cpu: Cpu;
  /** What the data region should hold: background + the case's patches + the processor's writes. */
  readonly expected = new Uint8Array(index.dataSize);
  readonly #data: Int32Array;
  readonly #expectedWords = new Int32Array(this.expected.buffer);
  readonly #code = new Uint8Array(64 + FILLER);

  constructor() {
    this.cpu = createFlatCpu(this.memory);
    this.cpu.setExitVectors(new Uint32Array(8).fill(0xffff_ffff));
    this.memory.copyIn(index.dataBase, background);
    this.expected.set(background);
    this.#data = new Int32Array(this.memory.buffer, index.dataBase, index.dataSize / 4);
  }

  /** Runs one case; returns a description of every difference, or an empty string. */
  run(c: VectorCase): string {
    const { cpu, memory } = this;
    const codeStart = index.codeBase + c.codeOffset;
    const codeEnd = (codeStart + c.code.length) >>> 0;
    this.#code.fill(0xf4);
    this.#code.set(c.code);
    memory.copyIn(codeStart, this.#code.subarray(0, c.code.length + FILLER));
    for (const p of c.patches) {
      memory.copyIn(index.dataBase + p.offset, p.bytes);
      this.expected.set(p.bytes, p.offset);
    }
    for (let i = 0; i < 8; i++) cpu.regs[i] = c.regsIn[i] | 0;
    cpu.eip = codeStart;
    cpu.setEflags(c.flagsIn | FLAGS_FIXED);

    const problems: string[] = [];
    let exit: CpuExit | undefined;
    try {
      for (let steps = 0; steps < MAX_STEPS; steps++) {
        exit = cpu.step();
        if (exit !== undefined || cpu.eip >>> 0 === codeEnd) break;
      }
    } catch (error) {
      problems.push(`threw ${error instanceof Error ? error.message : String(error)}`);
    }

    if (c.status === 0xff) {
      if (exit !== undefined) problems.push(`exited ${JSON.stringify(exit)}, expected completion`);
      else if (cpu.eip >>> 0 !== codeEnd) problems.push(`eip=${hex(cpu.eip)}, expected ${hex(codeEnd)}`);
    } else if (exit?.kind !== 'vector' || exit.vector !== c.status) {
      problems.push(
        `got ${exit === undefined ? 'completion' : JSON.stringify(exit)}, expected vector ${c.status}`,
      );
    } else if (exit.eip >>> 0 !== c.faultEip) {
      problems.push(`fault eip=${hex(exit.eip)}, expected ${hex(c.faultEip)}`);
    }
    for (let i = 0; i < 8; i++) {
      if (c.undefinedRegs & (1 << i)) continue;
      const got = cpu.regs[i] >>> 0;
      if (got !== c.regsOut[i]) problems.push(`${REG_NAMES[i]}=${hex(got)}, expected ${hex(c.regsOut[i])}`);
    }
    const flags = cpu.getEflags() & c.flagsMask;
    if (flags !== (c.flagsOut & c.flagsMask)) {
      problems.push(
        `eflags&${hex(c.flagsMask, 4)}=${hex(flags, 4)}, expected ${hex(c.flagsOut & c.flagsMask, 4)}`,
      );
    }

    for (const d of c.diffs) this.expected.set(d.bytes, d.offset);
    const memoryProblem = this.#compareData();
    if (memoryProblem) problems.push(memoryProblem);
    // Back to the background for the next case: all of it if the CPU wrote somewhere unexpected.
    if (memoryProblem) {
      memory.copyIn(index.dataBase, background);
      this.expected.set(background);
    } else {
      for (const runs of [c.patches, c.diffs]) {
        for (const r of runs) {
          const original = background.subarray(r.offset, r.offset + r.bytes.length);
          memory.copyIn(index.dataBase + r.offset, original);
          this.expected.set(original, r.offset);
        }
      }
    }
    return problems.join('; ');
  }

  /**
   * Finds writes outside the data region and the code pages: the rest of RAM stays zero unless the
   * CPU wrote somewhere the processor did not. Checked once per form (a scan of all RAM); clears
   * what it finds so the next form starts clean.
   */
  strayWrites(): string {
    const words = new Int32Array(this.memory.buffer, 0, RAM_BYTES / 4);
    const dataFirst = index.dataBase / 4;
    const dataEnd = (index.dataBase + index.dataSize) / 4;
    const codeFirst = index.codeBase / 4;
    const codeEnd = (index.codeBase + CODE_PAGES_BYTES) / 4;
    let first = -1;
    let count = 0;
    for (let w = 0; w < words.length; w++) {
      if (words[w] === 0 || (w >= dataFirst && w < dataEnd) || (w >= codeFirst && w < codeEnd)) continue;
      if (first < 0) first = w * 4;
      count++;
      words[w] = 0;
    }
    return first < 0 ? '' : `${count} word(s) written outside the data region, first at ${hex(first)}`;
  }

  #compareData(): string {
    const data = this.#data;
    const want = this.#expectedWords;
    for (let w = 0; w < data.length; w++) {
      if (data[w] === want[w]) continue;
      const bytes = this.memory.bytes;
      let first = w * 4;
      while (bytes[index.dataBase + first] === this.expected[first]) first++;
      let differing = 0;
      for (let b = first; b < this.expected.length; b++)
        if (bytes[index.dataBase + b] !== this.expected[b]) differing++;
      const at = index.dataBase + first;
      const span = (from: Uint8Array, base: number) => hexBytes(from.subarray(base, base + 8));
      return (
        `memory differs in ${differing} byte(s), first at ${hex(at)}: ` +
        `got ${span(bytes, at)}, expected ${span(this.expected, first)}`
      );
    }
    return '';
  }
}

function describeCase(c: VectorCase, n: number, problems: string): string {
  const patches = c.patches.map((p) => `[${hex(index.dataBase + p.offset)}]=${hexBytes(p.bytes)}`).join(' ');
  const outcome = c.status === 0xff ? 'completes' : `raises vector ${c.status} at ${hex(c.faultEip)}`;
  return [
    `case ${n}: ${hexBytes(c.code)} at ${hex(index.codeBase + c.codeOffset)}`,
    `  in:  ${regList(c.regsIn)} eflags=${hex(c.flagsIn | FLAGS_FIXED, 4)}${patches ? ` mem ${patches}` : ''}`,
    `  expected: ${outcome}; ${regList(c.regsOut)} eflags=${hex(c.flagsOut, 4)} (compared ${hex(c.flagsMask, 4)})`,
    `  mismatch: ${problems}`,
  ].join('\n');
}

let replay: Replay | undefined;
function machine(): Replay {
  replay ??= new Replay();
  return replay;
}

describe('x86 conformance vectors', () => {
  it('hold at least 200 cases for every form and stay compact', () => {
    expect(index.version).toBe(FORMAT_VERSION);
    const small = index.forms.filter((f) => f.cases < 200 || formBytes.get(f.id)?.count !== f.cases);
    expect(small.map((f) => f.name)).toEqual([]);
    let bytes = 0;
    for (const file of ['index.json.gz', index.background, ...index.files.map((f) => f.file)]) {
      bytes += readFileSync(new URL(file, VECTORS)).length;
    }
    expect(bytes).toBeLessThan(5_000_000);
  });

  it('decode to what the instruction says (MOV r32, imm32; ADD and ADC EAX, imm32)', () => {
    // A check of the harness itself, independent of the CPU: the recorded results of two trivial
    // forms must follow from the recorded code bytes.
    const byName = (name: string) => index.forms.find((f) => f.name === name)!;
    const mov = formBytes.get(byName('MOV r32, imm32').id)!;
    const r = new Reader(mov.bytes);
    for (let n = 0; n < mov.count; n++) {
      const c = readCase(r);
      const op = c.code[c.code.length - 5];
      const imm = new DataView(c.code.buffer, c.code.byteOffset + c.code.length - 4, 4).getUint32(0, true);
      expect(c.regsOut[op - 0xb8]).toBe(imm);
    }
    const add = formBytes.get(byName('ADD EAX, imm32').id)!;
    const a = new Reader(add.bytes);
    for (let n = 0; n < add.count; n++) {
      const c = readCase(a);
      const imm = new DataView(c.code.buffer, c.code.byteOffset + c.code.length - 4, 4).getUint32(0, true);
      const sum = c.regsIn[0] + imm;
      expect(c.regsOut[0]).toBe(sum >>> 0);
      expect(c.flagsOut & 1).toBe(sum > 0xffff_ffff ? 1 : 0);
    }
    // ADC proves the input flags reached the processor: the carry in shows in the sum.
    const adc = formBytes.get(byName('ADC EAX, imm32').id)!;
    const b = new Reader(adc.bytes);
    for (let n = 0; n < adc.count; n++) {
      const c = readCase(b);
      const imm = new DataView(c.code.buffer, c.code.byteOffset + c.code.length - 4, 4).getUint32(0, true);
      expect(c.regsOut[0]).toBe((c.regsIn[0] + imm + (c.flagsIn & 1)) >>> 0);
    }
  });
});

for (const { group } of index.files) {
  describe(`x86 conformance: ${group}`, () => {
    for (const form of index.forms.filter((f) => f.group === group)) {
      it(`${form.name} [${form.encoding}] x${form.cases}`, () => {
        const m = machine();
        const encoded = formBytes.get(form.id)!;
        const r = new Reader(encoded.bytes);
        const shown: string[] = [];
        let failed = 0;
        for (let n = 0; n < encoded.count; n++) {
          const c = readCase(r);
          const problems = m.run(c);
          if (!problems) continue;
          failed++;
          if (shown.length < MISMATCHES_SHOWN) shown.push(describeCase(c, n, problems));
        }
        const stray = m.strayWrites();
        if (stray) shown.push(`after the form: ${stray}`);
        const report = `${failed} of ${encoded.count} cases differ from the processor\n${shown.join('\n')}`;
        expect({ failed, stray }, report).toEqual({ failed: 0, stray: '' });
      });
    }
  });
}

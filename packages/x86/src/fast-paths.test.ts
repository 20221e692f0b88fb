import assert from 'node:assert/strict';
import { GuestMemory } from '@lguest/abi';
import { describe, it } from 'vitest';
import { type Cpu, createFlatCpu, REG_EBX, REG_ESP, SEG_DS } from './cpu.js';
import { clearDecodeCache } from './decode-cache.js';
import { flatAttributes } from './descriptors.js';
import { replayGeneric } from './fast-paths.js';

/**
 * The specialised executors of `fast-paths.ts` against the generic interpreter: each instruction runs
 * from one state decoded (the interpreter executes it), then from the same state replayed from its
 * record (the specialised executor), and every register, EIP, EFLAGS, the data and stack pages and the
 * exit must agree. Every fourth state has a DS whose limit makes memory operands fault.
 */

const CODE = 0x1000;
const DATA = 0x10000;
const STACK = 0x21000;

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** Each form the fast paths cover, with a register and a memory operand where it has one. */
const FORMS: Record<string, number[]> = {
  'add eax, ecx': [0x01, 0xc8],
  'or ebx, edx': [0x09, 0xd3],
  'adc eax, ecx': [0x11, 0xc8],
  'sbb eax, ecx': [0x19, 0xc8],
  'and eax, ecx': [0x21, 0xc8],
  'sub eax, ecx': [0x29, 0xc8],
  'xor eax, ecx': [0x31, 0xc8],
  'cmp eax, ecx': [0x39, 0xc8],
  'add eax, ecx (03)': [0x03, 0xc1],
  'sub edx, ecx (2b)': [0x2b, 0xd1],
  'cmp eax, ecx (3b)': [0x3b, 0xc1],
  'add eax, imm32': [0x05, ...le32(0x8000_0001)],
  'adc eax, imm32': [0x15, ...le32(0xffff_ffff)],
  'sub eax, imm32': [0x2d, ...le32(7)],
  'cmp eax, imm32': [0x3d, ...le32(0x7fff_ffff)],
  'add ecx, imm32': [0x81, 0xc1, ...le32(0x1234_5678)],
  'cmp ecx, imm32': [0x81, 0xf9, ...le32(0x8000_0000)],
  'sub ecx, 5': [0x83, 0xe9, 0x05],
  'adc ecx, -1': [0x83, 0xd1, 0xff],
  'and ecx, -16': [0x83, 0xe1, 0xf0],
  'add [ebx+8], eax': [0x01, 0x43, 0x08],
  'sbb [ebx+8], eax': [0x19, 0x43, 0x08],
  'cmp [ebx+8], eax': [0x39, 0x43, 0x08],
  'add eax, [ebx+8]': [0x03, 0x43, 0x08],
  'cmp eax, [ebx+8]': [0x3b, 0x43, 0x08],
  'add [ebx+8], imm32': [0x81, 0x43, 0x08, ...le32(0x0101_0101)],
  'cmp [ebx+8], 5': [0x83, 0x7b, 0x08, 0x05],
  'sub [ebx+8], 1': [0x83, 0x6b, 0x08, 0x01],
  'test [ebx+8], eax': [0x85, 0x43, 0x08],
  'test eax, ecx': [0x85, 0xc1],
  'add [ebx+0xffe], eax (crosses a page)': [0x01, 0x83, 0xfe, 0x0f, 0, 0],
  'mov eax, [ebx+ecx*2+8]': [0x8b, 0x44, 0x4b, 0x08],
  'inc eax': [0x40],
  'inc edi': [0x47],
  'dec eax': [0x48],
  'dec esp': [0x4c],
  'push eax': [0x50],
  'push esp': [0x54],
  'pop eax': [0x58],
  'pop esp': [0x5c],
  'push imm32': [0x68, ...le32(0xdead_beef)],
  'push -128': [0x6a, 0x80],
  ...Object.fromEntries(Array.from({ length: 16 }, (_, cc) => [`j${cc} rel8`, [0x70 + cc, 0x10]])),
  'je rel32': [0x0f, 0x84, ...le32(0x100)],
  'jg rel32 backwards': [0x0f, 0x8f, ...le32(-0x100)],
  'mov eax, imm32': [0xb8, ...le32(0x1234_5678)],
  'mov esp, imm32': [0xbc, ...le32(STACK - 0x100)],
  'mov eax, ecx': [0x89, 0xc8],
  'mov [ebx+8], ecx': [0x89, 0x4b, 0x08],
  'mov ecx, eax (8b)': [0x8b, 0xc8],
  'mov ecx, [ebx+8]': [0x8b, 0x4b, 0x08],
  'lea eax, [ebx+ecx*4+8]': [0x8d, 0x44, 0x8b, 0x08],
  'mov eax, imm32 (c7)': [0xc7, 0xc0, ...le32(0xcafe_f00d)],
  'mov dword [ebx+8], imm32': [0xc7, 0x43, 0x08, ...le32(0x5555_aaaa)],
  nop: [0x90],
  ret: [0xc3],
  'call rel32': [0xe8, ...le32(0x40)],
  'jmp rel32': [0xe9, ...le32(-0x20)],
  'jmp rel8': [0xeb, 0x7f],
  'movzx eax, byte [ebx+9]': [0x0f, 0xb6, 0x43, 0x09],
  'movzx eax, word [ebx+0xfff]': [0x0f, 0xb7, 0x83, 0xff, 0x0f, 0, 0],
};

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    return (s ^ (s >>> 15)) >>> 0;
  };
}

interface State {
  regs: Int32Array;
  eflags: number;
  eip: number;
  exit: unknown;
  data: Uint8Array;
  stack: Uint8Array;
}

function setUp(cpu: Cpu, memory: GuestMemory, next: () => number, limitedDs: boolean): () => State {
  const regs = Int32Array.from({ length: 8 }, () => next() | 0);
  regs[REG_EBX] = DATA;
  regs[REG_ESP] = STACK - 0x80;
  const eflags = (next() & 0x8d5) | 0x202;
  const data = Uint8Array.from({ length: 0x2000 }, () => next() & 0xff);
  const stack = Uint8Array.from({ length: 0x2000 }, () => next() & 0xff);
  return () => {
    cpu.regs.set(regs);
    cpu.setEflags(eflags);
    cpu.eip = CODE;
    memory.bytes.set(data, DATA);
    memory.bytes.set(stack, STACK - 0x1000);
    const limit = limitedDs ? 0xfff : 0xffff_ffff;
    cpu.setSegment(SEG_DS, { selector: 0x10, base: 0, limit, attributes: flatAttributes(0x3, 0) });
    const exit = cpu.step() ?? null;
    return {
      regs: Int32Array.from(cpu.regs),
      eflags: cpu.getEflags(),
      eip: cpu.eip >>> 0,
      exit,
      data: memory.bytes.slice(DATA, DATA + 0x2000),
      stack: memory.bytes.slice(STACK - 0x1000, STACK + 0x1000),
    };
  };
}

describe('fast paths agree with the interpreter', () => {
  for (const [name, code] of Object.entries(FORMS)) {
    it(name, () => {
      const memory = new GuestMemory(new ArrayBuffer(1 << 20));
      const cpu = createFlatCpu(memory);
      cpu.setExitVectors(new Uint32Array(8).fill(0xffff_ffff));
      memory.bytes.set([...code, 0xf4], CODE);
      const next = random(code.reduce((h, b) => Math.imul(h ^ b, 16_777_619), 2_166_136_261));
      for (let round = 0; round < 24; round++) {
        const run = setUp(cpu, memory, next, round % 4 === 3);
        // With the cache empty the first run decodes without recording (a fresh code page), the
        // second decodes and records, the third replays the record.
        clearDecodeCache(cpu);
        const generic = run();
        assert.deepEqual(run(), generic);
        assert.deepEqual(run(), generic);
      }
      // The second run came from a specialised executor, not the generic replay.
      const page = [...cpu.decodeCache.pages.values()][0];
      const record = page.records[CODE & 0xfff];
      assert.ok(record !== undefined);
      assert.notEqual(record.run, replayGeneric);
    });
  }

  it('a 16-bit operand size or a LOCK prefix replays generically', () => {
    const memory = new GuestMemory(new ArrayBuffer(1 << 20));
    const cpu = createFlatCpu(memory);
    memory.bytes.set([0x66, 0x01, 0xc8, 0xf0, 0x01, 0x43, 0x08], CODE);
    cpu.regs[REG_EBX] = DATA;
    // Three rounds: the first fetch of a page and a TLB fill for the data page each drop the fetch
    // cache, after which the next instruction is decoded without being recorded.
    for (let i = 0; i < 3; i++) {
      cpu.eip = CODE;
      cpu.step();
      cpu.step();
    }
    const page = [...cpu.decodeCache.pages.values()][0];
    assert.equal(page.records[CODE & 0xfff]?.run, replayGeneric);
    assert.equal(page.records[(CODE + 3) & 0xfff]?.run, replayGeneric);
  });
});

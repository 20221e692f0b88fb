/**
 * Test support: a few hand-assembled guest instructions and a minimal `lguest_data`, for guests the
 * tests build in memory themselves (random hypercalls, random code, IRQ wake-ups).
 */
import { GuestMemory, LGUEST_DATA_LAYOUT, LHCALL_LGUEST_INIT } from '@lguest/abi';
import { createGuest, type Guest, type GuestOptions } from '@lguest/hypervisor';

/** Where test guests keep `lguest_data`, their code and their stack. */
export const DATA_GPA = 0x2000;
export const CODE_GPA = 0x10000;
export const STACK_TOP = 0x9000;

/** Emits i386 code into an array. */
export class Asm {
  readonly bytes: number[] = [];
  get here(): number {
    return CODE_GPA + this.bytes.length;
  }
  imm32(v: number): this {
    this.bytes.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
    return this;
  }
  /** mov r32, imm32 (r: 0 eax, 1 ecx, 2 edx, 3 ebx, 4 esp, 5 ebp, 6 esi, 7 edi). */
  mov(r: number, v: number): this {
    this.bytes.push(0xb8 + r);
    return this.imm32(v);
  }
  /** mov dword [addr], imm32 */
  store(addr: number, v: number): this {
    this.bytes.push(0xc7, 0x05);
    return this.imm32(addr).imm32(v);
  }
  /** A hypercall: eax = call, ebx/ecx/edx/esi = args, int $0x1f. */
  hcall(call: number, a1 = 0, a2 = 0, a3 = 0, a4 = 0): this {
    this.mov(0, call).mov(3, a1).mov(1, a2).mov(2, a3).mov(6, a4);
    this.bytes.push(0xcd, 0x1f);
    return this;
  }
  raw(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  /** jmp rel32 to `target` (the displacement counts from the end of the 5-byte instruction). */
  jmp(target: number): this {
    const rel = (target - (this.here + 5)) >>> 0;
    return this.raw(0xe9).imm32(rel);
  }
  /** jmp $ */
  spin(): this {
    return this.raw(0xeb, 0xfe);
  }
}

/** A guest with a valid `lguest_data` at DATA_GPA, running `code` (which should start with INIT). */
export function asmGuest(
  code: Asm,
  options: Partial<Omit<GuestOptions, 'memory' | 'start'>> = {},
  memMiB = 2,
): Guest {
  const memory = new GuestMemory(new SharedArrayBuffer(memMiB << 20));
  for (let i = 0; i < 64; i++) memory.write8(DATA_GPA + LGUEST_DATA_LAYOUT.hcallStatus.offset + i, 0xff);
  memory.write32(DATA_GPA + LGUEST_DATA_LAYOUT.kernelAddress.offset, 0xc000_0000);
  memory.write32(DATA_GPA + LGUEST_DATA_LAYOUT.syscallVec.offset, 0x80);
  memory.bytes.set(code.bytes, CODE_GPA);
  return createGuest({ ...options, memory, start: CODE_GPA });
}

/** Code that starts like every test guest: `LGUEST_INIT(DATA_GPA)`, a stack. */
export function initCode(): Asm {
  return new Asm().hcall(LHCALL_LGUEST_INIT, DATA_GPA).mov(4, STACK_TOP);
}

/** A seeded xorshift32 generator. */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

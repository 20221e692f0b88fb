import { describe, expect, it } from 'vitest';
import { FakeHost } from './test-host.js';
import { X87 } from './x87.js';

/** The guest is hostile: any ESC byte, ModRM, memory contents and control word must be handled quietly. */
describe('X87 under random instructions', () => {
  it('never throws, stays within 16-bit words and keeps a state that saves and restores identically', () => {
    let seed = 0x2545f491;
    const rand = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const fpu = new X87();
    const host = new FakeHost();
    const problems: string[] = [];
    let ud = 0;
    for (let n = 0; n < 30000 && problems.length < 5; n++) {
      if (n % 64 === 0) for (let a = 0x100; a < 0x200; a++) host.ram[a] = rand() & 0xff;
      if (n % 97 === 0) fpu.controlWord = rand();
      host.eflags = rand() & 0x8d5;
      const opcode = 0xd8 + (rand() & 7);
      const modrm = rand() & 0xff;
      const r = fpu.execute(opcode, modrm, 0x100 + (rand() & 0x7f), (rand() & 1) === 1, host);
      if (r === 6) ud++;
      else if (r !== 0) problems.push(`${opcode.toString(16)} ${modrm.toString(16)} returned ${r}`);
      if (fpu.statusWord >>> 16 || fpu.controlWord >>> 16) problems.push(`word out of range after ${n}`);
      if (n % 100 === 0) {
        // FNSAVE, FRSTOR, FNSAVE again: the two images must agree byte for byte.
        fpu.execute(0xdd, 0x35, 0x400, true, host);
        fpu.execute(0xdd, 0x25, 0x400, true, host);
        fpu.execute(0xdd, 0x35, 0x500, true, host);
        const a = host.ram.subarray(0x400, 0x400 + 108);
        const b = host.ram.subarray(0x500, 0x500 + 108);
        if (!a.every((v, k) => v === b[k])) problems.push(`save/restore differs after ${n}`);
        fpu.execute(0xdd, 0x25, 0x400, true, host);
      }
    }
    expect(problems).toEqual([]);
    expect(ud).toBeGreaterThan(100);
  });
});

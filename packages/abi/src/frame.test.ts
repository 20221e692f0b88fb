import { describe, expect, it } from 'vitest';
import { bumpGeneration, CODE_CACHED, GENERATION_STEP, markCodeCached } from './frame.js';

describe('the write-generation word', () => {
  for (const [name, make] of [
    ['private', () => new Int32Array(new ArrayBuffer(8))],
    ['shared', () => new Int32Array(new SharedArrayBuffer(8))],
  ] as const) {
    it(`counts writes above the code-cached mark (${name} generations)`, () => {
      const gens = make();
      bumpGeneration(gens, 0);
      expect([...gens]).toEqual([GENERATION_STEP, 0]);
      markCodeCached(gens, 1);
      markCodeCached(gens, 1); // idempotent
      expect([...gens]).toEqual([GENERATION_STEP, CODE_CACHED]);
      bumpGeneration(gens, 1);
      bumpGeneration(gens, 1);
      expect(gens[1]).toBe(CODE_CACHED + 2 * GENERATION_STEP);
      markCodeCached(gens, 0); // marking keeps the count
      expect(gens[0]).toBe(CODE_CACHED + GENERATION_STEP);
    });

    it(`wraps as an int32 without losing the mark (${name} generations)`, () => {
      const gens = make();
      gens[0] = 0x7fff_ffff;
      bumpGeneration(gens, 0);
      expect(gens[0]).toBe(-0x7fff_ffff);
      expect(gens[0] & CODE_CACHED).toBe(CODE_CACHED);
      gens[1] = -2;
      bumpGeneration(gens, 1);
      expect(gens[1]).toBe(0);
    });
  }
});

/**
 * How the CPU core abandons an instruction: a guest-caused exception is thrown as one preallocated
 * sentinel, so nothing is allocated when a guest faults and the x87 unit's memory accesses (which call
 * back into the core) can fault through it. The run loop in `cpu.ts` catches it; the details (vector,
 * error code) live in the CPU's fields. Exits are not thrown: an instruction that ends the run (HLT,
 * INT n of an exit vector) completes normally after `Cpu.exit`, and the run loop, which checks one
 * flag after every instruction, returns the exit.
 */

/** The thrown sentinel's class (one instance, never created per fault). */
export class CpuSignal {
  constructor(readonly kind: 'fault') {}
}

/** Thrown when the current instruction raised an exception (see `Cpu.pendingVector`). */
export const FAULT = new CpuSignal('fault');

/** Exception vectors. */
export const VEC_DE = 0;
export const VEC_DB = 1;
export const VEC_BP = 3;
export const VEC_OF = 4;
export const VEC_BR = 5;
export const VEC_UD = 6;
export const VEC_NM = 7;
export const VEC_DF = 8;
export const VEC_TS = 10;
export const VEC_NP = 11;
export const VEC_SS = 12;
export const VEC_GP = 13;
export const VEC_PF = 14;
export const VEC_MF = 16;

/** Marks "no error code" in the CPU's pending-error field. */
export const NO_ERROR_CODE = -1;

/** Contributory exceptions for the double-fault rule (#DE, #TS, #NP, #SS, #GP). */
export function isContributory(vector: number): boolean {
  return vector === VEC_DE || (vector >= VEC_TS && vector <= VEC_GP);
}

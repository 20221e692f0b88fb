/**
 * CPUID: what the CPU tells software about itself. The default follows spec §15.4: "GenuineIntel",
 * family 6 model 8, FPU + TSC + CX8 + CMOV and nothing else (no PAE, PSE, SSE, SEP, MSR), so a Linux
 * guest and a static glibc pick code paths this core implements. Embedders may install another table;
 * keep it in step with what is implemented (§15.2).
 */

/** Answers CPUID: `[eax, ebx, ecx, edx]` for a leaf (and sub-leaf in ECX). */
export type CpuidTable = (leaf: number, subleaf: number) => readonly [number, number, number, number];

/** FPU, TSC, CX8, CMOV (CPUID.1:EDX bits 0, 4, 8, 15). */
export const CPUID_1_EDX_DEFAULT = 0x0000_8111;
/** Family 6, model 8, stepping 3 (model must not be 9, see §15.4). */
export const CPUID_1_EAX_DEFAULT = 0x0000_0683;

const LEAF0 = [1, 0x756e_6547, 0x6c65_746e, 0x4965_6e69] as const; // "Genu" "ntel" "ineI"
const LEAF1 = [CPUID_1_EAX_DEFAULT, 0, 0, CPUID_1_EDX_DEFAULT] as const;
const EXT0 = [0x8000_0000, 0, 0, 0] as const;
const ZERO = [0, 0, 0, 0] as const;

/** The default CPUID table of spec §15.4. */
export const DEFAULT_CPUID: CpuidTable = (leaf) => {
  switch (leaf >>> 0) {
    case 0:
      return LEAF0;
    case 1:
      return LEAF1;
    case 0x8000_0000:
      return EXT0;
    default:
      return ZERO;
  }
};

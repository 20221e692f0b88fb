/**
 * The guest IDT: gate fields, gate types and vectors (spec §6.3–§6.6, §6.1).
 *
 * The guest sends its gates one at a time with `LOAD_IDT_ENTRY(vector, lo, hi)`; the Host keeps a
 * checked copy, the Switcher installs it, and the CPU and the Host's delivery code read handler
 * addresses, types and DPLs back out of it. A gate is two 32-bit words: `lo` holds the selector
 * (bits 16–31) and the handler's low half; `hi` holds the handler's high half, P, DPL and the type.
 */

/** Vectors in the IDT (§6.6). */
export const IDT_ENTRIES = 256;
/** Bytes per gate. */
export const IDT_ENTRY_SIZE = 8;

/** Task gate type (Linux uses it for vector 8; the Host ignores vector 8 anyway) (§6.6). */
export const GATE_TYPE_TASK = 0x5;
/** 32-bit interrupt gate: delivery disables the guest's virtual interrupts (§6.3 step 5). */
export const GATE_TYPE_INTERRUPT = 0xe;
/** 32-bit trap gate (§6.5). */
export const GATE_TYPE_TRAP = 0xf;

/** Handler bits 0–15, in `lo`. */
export const GATE_LO_OFFSET_MASK = 0x0000_ffff;
/** Code-segment selector, bits 16–31 of `lo`. */
export const GATE_LO_SELECTOR_MASK = 0xffff_0000;
/** Shift of the selector in `lo`. */
export const GATE_LO_SELECTOR_SHIFT = 16;
/** Handler bits 16–31, in `hi`. */
export const GATE_HI_OFFSET_MASK = 0xffff_0000;
/** Present bit of `hi` (§6.6 step 3). */
export const GATE_HI_P = 0x0000_8000;
/** DPL field of `hi`, bits 13–14. */
export const GATE_HI_DPL_MASK = 0x0000_6000;
/** Shift of the DPL field. */
export const GATE_HI_DPL_SHIFT = 13;
/** Type field of `hi`, bits 8–11: `(hi >> 8) & 0xF` (§6.3 step 5, §6.6 step 4). */
export const GATE_HI_TYPE_MASK = 0x0000_0f00;
/** Shift of the type field. */
export const GATE_HI_TYPE_SHIFT = 8;

/** What the Host ORs into a stored gate's `lo`: the selector forced to 0x61 (§6.6 step 5). */
export const LGUEST_GATE_LO_SELECTOR = 0x0061_0000;
/** What the Host keeps of a gate's `hi`: offset high half, P, DPL and type (§6.6 step 5). */
export const LGUEST_GATE_HI_KEEP = 0xffff_ef00;

/** The handler address of a gate: `(lo & 0xFFFF) | (hi & 0xFFFF0000)` (§6.3 step 3). */
export function gateOffset(lo: number, hi: number): number {
  return ((lo & GATE_LO_OFFSET_MASK) | (hi & GATE_HI_OFFSET_MASK)) >>> 0;
}

/** The code selector of a gate. */
export function gateSelector(lo: number): number {
  return lo >>> GATE_LO_SELECTOR_SHIFT;
}

/** The gate type, `(hi >> 8) & 0xF`. */
export function gateType(hi: number): number {
  return (hi & GATE_HI_TYPE_MASK) >>> GATE_HI_TYPE_SHIFT;
}

/** The gate's DPL (0–3). */
export function gateDpl(hi: number): number {
  return (hi & GATE_HI_DPL_MASK) >>> GATE_HI_DPL_SHIFT;
}

/** True when the gate's present bit is set. */
export function gatePresent(hi: number): boolean {
  return (hi & GATE_HI_P) !== 0;
}

// Exception vectors.
/** #DE divide error. */
export const X86_TRAP_DE = 0;
/** #DB debug. */
export const X86_TRAP_DB = 1;
/** NMI. */
export const X86_TRAP_NMI = 2;
/** #BP breakpoint (`int3`). */
export const X86_TRAP_BP = 3;
/** #OF overflow (`into`). */
export const X86_TRAP_OF = 4;
/** #BR bound range. */
export const X86_TRAP_BR = 5;
/** #UD invalid opcode. */
export const X86_TRAP_UD = 6;
/** #NM device not available (FPU with TS set) (§6.10). */
export const X86_TRAP_NM = 7;
/** #DF double fault. */
export const X86_TRAP_DF = 8;
/** Coprocessor segment overrun (reserved on later CPUs). */
export const X86_TRAP_OLD_MF = 9;
/** #TS invalid TSS. */
export const X86_TRAP_TS = 10;
/** #NP segment not present. */
export const X86_TRAP_NP = 11;
/** #SS stack-segment fault. */
export const X86_TRAP_SS = 12;
/** #GP general protection (§6.4, §6.9). */
export const X86_TRAP_GP = 13;
/** #PF page fault (§6.4, §6.11). */
export const X86_TRAP_PF = 14;
/** Spurious interrupt vector (reserved). */
export const X86_TRAP_SPURIOUS = 15;
/** #MF x87 floating-point error. */
export const X86_TRAP_MF = 16;
/** #AC alignment check. */
export const X86_TRAP_AC = 17;
/** #MC machine check. */
export const X86_TRAP_MC = 18;
/** #XM SIMD floating-point error. */
export const X86_TRAP_XM = 19;

/**
 * The trap number the real Host uses for "faulted while entering the guest"; never a guest vector,
 * so reflecting it kills with "unhandled trap 256" (§5.3, §6.4).
 */
export const LGUEST_TRAP_ENTERING_GUEST = 256;

/** Vectors whose frame carries an error code: 8, 10, 11, 12, 13, 14, 17 (§6.3). */
export const ERROR_CODE_VECTORS: readonly number[] = [8, 10, 11, 12, 13, 14, 17];

/** True when the CPU pushes an error code for exception `vector` (§6.3). */
export function vectorHasErrorCode(vector: number): boolean {
  return vector === X86_TRAP_DF || (vector >= X86_TRAP_TS && vector <= X86_TRAP_PF) || vector === X86_TRAP_AC;
}

/** Vectors `LOAD_IDT_ENTRY` ignores: 2, 8, 15 and 0x1F (§6.6 step 1). */
export const LGUEST_IGNORED_IDT_VECTORS: readonly number[] = [2, 8, 15, 0x1f];

/** True for the vectors `LOAD_IDT_ENTRY` silently ignores (§6.6 step 1). */
export function isIgnoredIdtVector(vector: number): boolean {
  return vector === 2 || vector === 8 || vector === 15 || vector === 0x1f;
}

/** The #GP error code for `int n` through a gate whose DPL is below CPL: `n * 8 + 2` (§6.5). */
export function softwareInterruptErrorCode(vector: number): number {
  return ((vector << 3) | 2) >>> 0;
}

/**
 * The instructions the Host emulates after a #GP with error code 0 at CPL 1 (spec §6.9).
 *
 * A profile-M guest never gets I/O ports: `in`/`out` and a stray `cli` fault, and the Host skips
 * them (an `in` reads all ones). A 3.18 guest also reads CR4 natively before it has an IDT, so the
 * Host must make `mov %cr4, r32` read 0. The Host's #GP handler decodes with these bytes.
 */

/** `cli`: skipped, eip += 1. */
export const GP_OPCODE_CLI = 0xfa;
/** Operand-size prefix allowed before an IN/OUT (adds 1 to the length). */
export const GP_PREFIX_OPSIZE = 0x66;
/** `in al/eax, imm8` (opcode & 0xFE), 2 bytes. */
export const GP_OPCODE_IN_IMM8 = 0xe4;
/** `in al/eax, dx` (opcode & 0xFE), 1 byte. */
export const GP_OPCODE_IN_DX = 0xec;
/** `out imm8, al/eax` (opcode & 0xFE), 2 bytes. */
export const GP_OPCODE_OUT_IMM8 = 0xe6;
/** `out dx, al/eax` (opcode & 0xFE), 1 byte. */
export const GP_OPCODE_OUT_DX = 0xee;
/** What a byte `in` ORs into eax. */
export const GP_IN_BYTE_RESULT = 0xff;
/** What a word `in` (with 0x66) ORs into eax. */
export const GP_IN_WORD_RESULT = 0xffff;
/** What a dword `in` sets eax to. */
export const GP_IN_DWORD_RESULT = 0xffff_ffff;

/** First two bytes of `mov r32, CRn`. */
export const GP_MOV_FROM_CR: readonly number[] = [0x0f, 0x20];
/** ModRM reg field (bits 3–5) selecting CR4. */
export const GP_MOV_FROM_CR4_REG = 4;
/** Length of `mov r32, CR4` (eip += 3). */
export const GP_MOV_FROM_CR4_LENGTH = 3;

/** The length of a §6.9 port instruction starting with `opcode` (no prefix), or 0 if it is none. */
export function portInstructionLength(opcode: number): number {
  switch (opcode & 0xfe) {
    case GP_OPCODE_IN_IMM8:
    case GP_OPCODE_OUT_IMM8:
      return 2;
    case GP_OPCODE_IN_DX:
    case GP_OPCODE_OUT_DX:
      return 1;
    default:
      return 0;
  }
}

/** True when the ModRM byte after `0F 20` selects CR4 (the mod bits are ignored) (§6.9). */
export function isMovFromCr4(modrm: number): boolean {
  return ((modrm >>> 3) & 7) === GP_MOV_FROM_CR4_REG;
}

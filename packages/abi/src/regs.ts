/**
 * The register frame: lguest's `struct lguest_regs`, in its order (ARCHITECTURE.md "Words",
 * spec §5.5 for the initial values).
 *
 * The Switcher keeps each vCPU's registers host-side in this order, one unsigned 32-bit word each, so
 * the Host's hypercall and trap code and the Switcher's world switch index the same typed array with
 * the same numbers. The frame is never mapped into the guest.
 */
import { LGUEST_INITIAL_EFLAGS } from './eflags.js';
import { GUEST_KERNEL_CS, GUEST_KERNEL_DS } from './segments.js';

/** The guest's page-directory gpa (cr3). */
export const LGUEST_REG_PGDIR = 0;
/** Frame word of `ebx` (hypercall arg1). */
export const LGUEST_REG_EBX = 1;
/** Frame word of `ecx` (hypercall arg2). */
export const LGUEST_REG_ECX = 2;
/** Frame word of `edx` (hypercall arg3). */
export const LGUEST_REG_EDX = 3;
/** Frame word of `esi` (hypercall arg4; 0 = `boot_params` at start). */
export const LGUEST_REG_ESI = 4;
/** Frame word of `edi`. */
export const LGUEST_REG_EDI = 5;
/** Frame word of `ebp`. */
export const LGUEST_REG_EBP = 6;
/** Frame word of `gs`. */
export const LGUEST_REG_GS = 7;
/** Frame word of `eax` (the hypercall number). */
export const LGUEST_REG_EAX = 8;
/** Frame word of `fs`. */
export const LGUEST_REG_FS = 9;
/** Frame word of `ds`. */
export const LGUEST_REG_DS = 10;
/** Frame word of `es`. */
export const LGUEST_REG_ES = 11;
/** The trap vector that ended the last run. */
export const LGUEST_REG_TRAPNUM = 12;
/** The error code of that trap (0 when it has none). */
export const LGUEST_REG_ERRCODE = 13;
/** Frame word of `eip`. */
export const LGUEST_REG_EIP = 14;
/** Frame word of `cs`. */
export const LGUEST_REG_CS = 15;
/** Frame word of `eflags`. */
export const LGUEST_REG_EFLAGS = 16;
/** Frame word of `esp`. */
export const LGUEST_REG_ESP = 17;
/** Frame word of `ss`. */
export const LGUEST_REG_SS = 18;

/** Words in the register frame. */
export const LGUEST_REGS_COUNT = 19;
/** Bytes in the register frame (4 per word). */
export const LGUEST_REGS_SIZE = LGUEST_REGS_COUNT * 4;

/** The register names in frame order: `LGUEST_REGS_ORDER[LGUEST_REG_EAX] === 'eax'`. */
export const LGUEST_REGS_ORDER = [
  'pgdir',
  'ebx',
  'ecx',
  'edx',
  'esi',
  'edi',
  'ebp',
  'gs',
  'eax',
  'fs',
  'ds',
  'es',
  'trapnum',
  'errcode',
  'eip',
  'cs',
  'eflags',
  'esp',
  'ss',
] as const;

/**
 * Frame words of the general registers in the x86 encoding order (eax, ecx, edx, ebx, esp, ebp,
 * esi, edi — what a ModRM field or the CPU's register file numbers 0–7): the bridge between the
 * frame and anything that decodes instructions or copies the CPU's registers.
 */
export const LGUEST_REG_OF_X86_REG = [
  LGUEST_REG_EAX,
  LGUEST_REG_ECX,
  LGUEST_REG_EDX,
  LGUEST_REG_EBX,
  LGUEST_REG_ESP,
  LGUEST_REG_EBP,
  LGUEST_REG_ESI,
  LGUEST_REG_EDI,
] as const;

/** A register name of the frame. */
export type LguestRegName = (typeof LGUEST_REGS_ORDER)[number];

/**
 * Fills `regs` (at least {@link LGUEST_REGS_COUNT} words) with the state right after
 * `LHREQ_INITIALIZE` (§5.5): eip = `start`, cs 0x61, ds/es/ss 0x69, fs/gs 0, eflags 0x202, every
 * general register 0 (so esi points at `boot_params` at gpa 0), no trap recorded.
 */
export function initialLguestRegs(regs: Uint32Array, start: number): Uint32Array {
  if (regs.length < LGUEST_REGS_COUNT) {
    throw new RangeError(`register frame needs ${LGUEST_REGS_COUNT} words, got ${regs.length}`);
  }
  regs.fill(0, 0, LGUEST_REGS_COUNT);
  regs[LGUEST_REG_EIP] = start >>> 0;
  regs[LGUEST_REG_CS] = GUEST_KERNEL_CS;
  regs[LGUEST_REG_DS] = GUEST_KERNEL_DS;
  regs[LGUEST_REG_ES] = GUEST_KERNEL_DS;
  regs[LGUEST_REG_SS] = GUEST_KERNEL_DS;
  regs[LGUEST_REG_EFLAGS] = LGUEST_INITIAL_EFLAGS;
  return regs;
}

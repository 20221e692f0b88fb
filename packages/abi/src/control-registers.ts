/**
 * CR0 as the guest sees it (spec §6.10, §13).
 *
 * The guest's CR0 is virtual: only TS is the guest's (set and cleared with the `TS` hypercall);
 * every other bit belongs to the Host, which runs the guest with PE, MP, ET, NE, WP and PG set and
 * EM clear. The Host's TS handling and the CPU's #NM check use these bits.
 */

/** Protected mode. */
export const X86_CR0_PE = 0x0000_0001;
/** Monitor coprocessor. */
export const X86_CR0_MP = 0x0000_0002;
/** x87 emulation; must be clear (an x87 is mandatory) (§6.10). */
export const X86_CR0_EM = 0x0000_0004;
/** Task switched: FPU instructions raise #NM while set; the `TS` hypercall's "set" value (§3.2, §6.10). */
export const X86_CR0_TS = 0x0000_0008;
/** Extension type. */
export const X86_CR0_ET = 0x0000_0010;
/** Native x87 error reporting (#MF) (§15.1). */
export const X86_CR0_NE = 0x0000_0020;
/** Write protect: honoured for CPL-1 writes; the guest checks it at boot (§13, §14.3). */
export const X86_CR0_WP = 0x0001_0000;
/** Paging. */
export const X86_CR0_PG = 0x8000_0000;

/** The CR0 a guest expects to run under, TS aside: PE|MP|ET|NE|WP|PG (§13). */
export const LGUEST_GUEST_CR0 =
  (X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG) >>> 0;

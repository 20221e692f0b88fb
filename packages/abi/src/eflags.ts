/**
 * EFLAGS bits the lguest ABI talks about (spec §0, §4, §5.5, §6.3, §13).
 *
 * The guest's virtual interrupt flag is a copy of the IF bit kept in `lguest_data.irq_enabled`; the
 * Host builds interrupt frames with IF taken from there and clears the single-step and friends in
 * the live flags on delivery. The Host, the Switcher and the CPU share these masks.
 */

/** Carry flag. */
export const X86_EFLAGS_CF = 0x0000_0001;
/** Bit 1: always reads as one (§0). */
export const X86_EFLAGS_FIXED = 0x0000_0002;
/** Zero flag. */
export const X86_EFLAGS_ZF = 0x0000_0040;
/** Trap flag (single-step); cleared on delivery by 3.12+ hosts (§6.3 step 4). */
export const X86_EFLAGS_TF = 0x0000_0100;
/** Interrupt flag; also the "enabled" value of `lguest_data.irq_enabled` (§0, §4). */
export const X86_EFLAGS_IF = 0x0000_0200;
/** Direction flag. */
export const X86_EFLAGS_DF = 0x0000_0400;
/** I/O privilege level field (bits 12–13); always 0 for a guest (§5.1). */
export const X86_EFLAGS_IOPL = 0x0000_3000;
/** Nested task; cleared on delivery (§6.3 step 4). */
export const X86_EFLAGS_NT = 0x0000_4000;
/** Resume flag; cleared on delivery (§6.3 step 4). */
export const X86_EFLAGS_RF = 0x0001_0000;
/** Virtual-8086 mode; cleared on delivery (§6.3 step 4). */
export const X86_EFLAGS_VM = 0x0002_0000;
/** Alignment check; the kernel stops with `BUG()` if it finds it set (§13). */
export const X86_EFLAGS_AC = 0x0004_0000;
/** CPUID-detection bit; guests toggle it with `pushf`/`popf` (§13). */
export const X86_EFLAGS_ID = 0x0020_0000;

/** The flags a 3.12+ host clears in the live EFLAGS when it delivers an interrupt or trap (§6.3 step 4). */
export const LGUEST_DELIVERY_CLEARED_EFLAGS = X86_EFLAGS_TF | X86_EFLAGS_NT | X86_EFLAGS_RF | X86_EFLAGS_VM;

/** EFLAGS right after `LHREQ_INITIALIZE`: IF and the fixed bit (§5.5). */
export const LGUEST_INITIAL_EFLAGS = X86_EFLAGS_IF | X86_EFLAGS_FIXED;

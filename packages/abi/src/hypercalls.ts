/**
 * Hypercalls: the guest's calls into the Host (spec §3).
 *
 * The guest puts the call number in `eax` and up to four arguments in `ebx`, `ecx`, `edx`, `esi`
 * and executes `int $0x1F`; the Host's hypercall dispatcher decodes them with these numbers. The
 * same five words form one entry of the asynchronous ring in `lguest_data` (§3.3).
 */

/** Does nothing; makes the Host drain the async ring (§3.2, §3.3). */
export const LHCALL_FLUSH_ASYNC = 0;
/** First call: registers `lguest_data` (arg1 = its gpa) (§3.2, §3.5). */
export const LHCALL_LGUEST_INIT = 1;
/** Crash or power off: arg1 = gpa of the reason text, arg2 = 1 poweroff / 2 restart (§3.2). */
export const LHCALL_SHUTDOWN = 2;
/** Load a new page directory (arg1 = its gpa) (§3.2, §7.4). */
export const LHCALL_NEW_PGTABLE = 4;
/** Drop translations: arg1 0 = user part of the current directory, else everything (§3.2, §7.5). */
export const LHCALL_FLUSH_TLB = 5;
/** Set one IDT entry: vector, low word, high word (§3.2, §6.6). */
export const LHCALL_LOAD_IDT_ENTRY = 6;
/** Set the ring-1 stack: ss, esp (virtual top), pages (§3.2, §7.6). */
export const LHCALL_SET_STACK = 7;
/** Set the guest's virtual CR0.TS: 0 clears, non-zero (8) sets (§3.2, §6.10). */
export const LHCALL_TS = 8;
/** Arm the one-shot clock: delta in ns, 0 cancels (§3.2, §6.7). */
export const LHCALL_SET_CLOCKEVENT = 9;
/** Halt until an interrupt is pending and unblocked (§3.2, §6.8). */
export const LHCALL_HALT = 10;
/** PAE hosts only; a non-PAE host treats it as unknown and kills (§3.2). */
export const LHCALL_SET_PMD = 13;
/** Update one PTE: directory gpa, vaddr, PTE (§3.2, §7.5). */
export const LHCALL_SET_PTE = 14;
/** Update one PDE: directory gpa, index (§3.2, §7.5). */
export const LHCALL_SET_PGD = 15;
/** Load the three TLS descriptors: gpa of 24 bytes, cpu (ignored) (§3.2, §5.3). */
export const LHCALL_LOAD_TLS = 16;
/** Hand a value (a gpa) to the Launcher (§3.2, §2.3). */
export const LHCALL_NOTIFY = 17;
/** Set one GDT entry: index, low word, high word (§3.2, §5.3). */
export const LHCALL_LOAD_GDT_ENTRY = 18;
/** Does nothing; forces an exit so pending interrupts are delivered (§3.2). */
export const LHCALL_SEND_INTERRUPTS = 19;

/**
 * Registers holding the hypercall words, in ring-entry order (§3.1, §3.3): arg0 (the call number)
 * in eax, arg1 in ebx, arg2 in ecx, arg3 in edx, arg4 in esi.
 */
export const LHCALL_ARG_REGISTERS = ['eax', 'ebx', 'ecx', 'edx', 'esi'] as const;
/** Words per hypercall, counting the call number (§3.3). */
export const LHCALL_ARGS = 5;

/** Async-ring status byte: slot empty or done; the guest initialises all 64 to this (§3.3). */
export const LHCALL_STATUS_EMPTY = 0xff;
/** Async-ring status byte: a request waits in this slot (§3.3). */
export const LHCALL_STATUS_REQUEST = 0;

/** Bytes of the three TLS descriptors `LOAD_TLS` reads (§1 item 4, §5.3). */
export const LHCALL_TLS_SIZE = 24;
/** #GP error code when guest user mode executes `int $0x1F` (gate DPL 1): `0x1F * 8 + 2` (§3.1). */
export const LHCALL_USER_GP_ERROR_CODE = 0xfa;
/** The profile-M hypercall instruction `int $0x1F` (§3.1). */
export const LHCALL_INT_BYTES: readonly number[] = [0xcd, 0x1f];
/** Profile L's KVM hypercall instruction `vmcall` (§3.1). */
export const LHCALL_VMCALL_BYTES: readonly number[] = [0x0f, 0x01, 0xc1];
/** What a profile-L host patches `vmcall` into: `int $0x1F; nop` (§3.1). */
export const LHCALL_VMCALL_PATCH_BYTES: readonly number[] = [0xcd, 0x1f, 0x90];

/*
 * Entry stubs for CPU exceptions 0–31 in the multiboot runtime. Without an IDT a fault in a CPU test
 * would triple-fault and leave nothing to read; with these, every exception reaches mb_trap() (in
 * traps.c), which prints what happened on COM1 and exits with MB_EXIT_EXCEPTION. Each stub makes the
 * frame uniform: vectors without a CPU-pushed error code push a 0 in its place, then every stub
 * pushes its vector number.
 */
	/* Names the file symbol ourselves: otherwise it is gcc's random temporary name, and the image
	   bytes would differ from build to build. */
	.file "traps.S"
	.macro trap_no_error vector
trap_\vector:
	pushl $0
	pushl $\vector
	jmp trap_common
	.endm

	.macro trap_with_error vector
trap_\vector:
	pushl $\vector
	jmp trap_common
	.endm

	.text
	/* The CPU pushes an error code for #DF (8), #TS (10), #NP (11), #SS (12), #GP (13), #PF (14)
	   and #AC (17); no other vector below 32 does on an i686. */
	.irp v, 0, 1, 2, 3, 4, 5, 6, 7, 9, 15, 16, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	trap_no_error \v
	.endr
	.irp v, 8, 10, 11, 12, 13, 14, 17
	trap_with_error \v
	.endr

trap_common:
	pushal
	pushl %esp		/* struct trap_frame * for mb_trap */
	call mb_trap
1:	cli
	hlt
	jmp 1b

	.section .rodata
	.balign 4
	.globl mb_trap_stubs
mb_trap_stubs:
	.irp v, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	.long trap_\v
	.endr

	.section .note.GNU-stack, "", @progbits

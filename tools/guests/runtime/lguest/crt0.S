/*
 * Entry of every lguest guest program. The Host starts the guest here (the ELF e_entry) at CPL 1 in
 * linear mode, cs 0x61, ds/es/ss 0x69, esi = gpa of boot_params and every other register 0 (spec
 * §5.5). There is no stack yet, so the first instruction loads one; the first hypercall is
 * LGUEST_INIT, because the Host kills a guest that makes any other call before it (§3.5) — unless
 * the program asked to make it itself (lg_manual_init, below).
 */
	/* Names the file symbol ourselves: otherwise it is gcc's random temporary name, and the image
	   bytes would differ from build to build. */
	.file "crt0.S"
	.section .text.entry, "ax"
	.globl _start
	.type _start, @function
_start:
	movl $lg_stack_top, %esp
	movl %esi, lg_boot_params

	/* A program that defines lg_manual_init (a weak symbol: its address is 0 otherwise) makes its
	   own LGUEST_INIT: Host tests that set noirq_start/noirq_end first (irqs.c), call something
	   before INIT, or INIT with a bad pointer or a spoiled lguest_data (hostile-*.c). */
	movl $lg_manual_init, %eax
	testl %eax, %eax
	jnz 2f

	/* LGUEST_INIT(gpa of lguest_data): gva = gpa in linear mode, so the link address is the gpa. */
	movl $1, %eax
	movl $lguest_data, %ebx
	xorl %ecx, %ecx
	xorl %edx, %edx
	xorl %esi, %esi
	int $0x1f

2:	/* Zero .bss (the Launcher's RAM is zero already, but a program must not depend on who loaded
	   it). The stack lives in .bss too; nothing has been pushed on it yet. */
	cld
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	xorl %ebp, %ebp
	call lg_start
	/* lg_start never returns; if it somehow did, a visible trap beats running off the end. */
1:	ud2
	jmp 1b
	.size _start, . - _start

	.weak lg_manual_init

	.section .bss
	.balign 16
lg_stack:
	.skip 16384
lg_stack_top:

	.section .note.GNU-stack, "", @progbits

/*
 * The assembly half of the QEMU test host (see host.c): the hypercall gate's entry, which saves the
 * guest's registers in a frame for testhost_hypercall() and returns to the guest with iret, and
 * enter_guest(), which starts the guest at CPL 1 with the register state of spec §5.5.
 */
	.file "entry.S"

	.text
	.globl hypercall_entry
hypercall_entry:
	/* Reached through the DPL-1 gate at vector 0x1F: the CPU has switched to the TSS's ring-0
	   stack and pushed the guest's ss, esp, eflags, cs and eip. */
	pushal
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	pushl %esp
	call testhost_hypercall
	addl $4, %esp
	popl %gs
	popl %fs
	popl %es
	popl %ds
	popal
	iret

	/* void enter_guest(uint32_t eip): never returns; the guest comes back only through gates. */
	.globl enter_guest
enter_guest:
	movl 4(%esp), %eax
	pushl $0x69		/* ss: guest kernel data, RPL 1 */
	pushl $0		/* esp */
	pushl $0x202		/* eflags: IF and the always-one bit */
	pushl $0x61		/* cs: guest kernel code, RPL 1 */
	pushl %eax		/* eip */
	movw $0x69, %cx
	movw %cx, %ds
	movw %cx, %es
	xorl %ecx, %ecx
	movw %cx, %fs
	movw %cx, %gs
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %edx, %edx
	xorl %esi, %esi		/* gpa of boot_params */
	xorl %edi, %edi
	xorl %ebp, %ebp
	iret

	.section .note.GNU-stack, "", @progbits

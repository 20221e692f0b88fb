/*
 * The assembly half of the QEMU test host (see host.c): one ring-0 entry stub per vector — every
 * guest trap, hypercall, software interrupt and the host's own timer interrupt arrives here — which
 * saves the registers in a struct host_frame for testhost_trap() and returns with iret (to the guest,
 * possibly at a new eip the host chose); enter_guest(), which starts the guest at CPL 1 with the
 * register state of spec §5.5; and reload_segments(), which moves the host onto its own GDT entries.
 */
	.file "entry.S"

	.text
	/* 256 stubs, 16 bytes apart. The CPU pushes an error code for exceptions 8, 10-14 and 17; the
	   other stubs push a 0 in its place so that every frame has the same layout. */
	.balign 16
	.globl host_stubs
host_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17)
	.else
	pushl $0
	.endif
	pushl $vec
	jmp host_common
	.set vec, vec + 1
	.endr

host_common:
	pushal
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	movl $0x58, %eax
	mov %eax, %ds
	mov %eax, %es
	cld
	pushl %esp
	call testhost_trap
	addl $4, %esp
	popl %gs
	popl %fs
	popl %es
	popl %ds
	popal
	addl $8, %esp
	iret

	/* void enter_guest(uint32_t eip): never returns; the guest comes back only through the stubs. */
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

	/* void reload_segments(void): after lgdt, cs = 0x50 and the data registers 0x58 (GDT 10 and
	   11, the entries a real Host keeps for itself, §5.2), so the guest may own everything else. */
	.globl reload_segments
reload_segments:
	ljmp $0x50, $1f
1:	movl $0x58, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	ret

	.section .note.GNU-stack, "", @progbits
